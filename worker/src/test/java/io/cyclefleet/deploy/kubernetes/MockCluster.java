package io.cyclefleet.deploy.kubernetes;

import io.cyclefleet.deploy.AdapterSettings;
import io.cyclefleet.deploy.NamedAdapter;
import io.cyclefleet.run.TaskContext;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonPatchException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * fabric8's Kubernetes mock server in CRUD mode, with a client configured as the worker's (timeouts, no client
 * retries) and helpers to create a Deployment and play the Deployment controller's part: the mock has no
 * controller, so the tests write the status fields themselves.
 *
 * <p>What the mock (7.3.1) does, as observed: it bumps {@code metadata.resourceVersion} on every write that changes
 * the object (spec, annotations, status alike; a write that changes nothing keeps it), and {@code metadata.generation}
 * only on spec changes. A JSON patch whose {@code test} fails (or that cannot be applied otherwise) makes its
 * dispatcher throw, and the request is never answered: the client times out. {@link ApiServerDispatcher} answers it
 * instead as the API server does.
 */
public final class MockCluster implements AutoCloseable {

    public static final String NAMESPACE = "shop";
    public static final String DEPLOYMENT = "web";
    public static final String TEMPLATE = "registry.example/shop/web:{{version}}";
    /**
     * The API server's answer to a JSON patch it cannot apply, a failed {@code test} among them
     * (k8s.io/apiserver, endpoints/handlers/patch.go: {@code NewGenericServerResponse(422, ...)}, which keeps
     * neither the json-patch error nor any cause).
     */
    public static final String PATCH_NOT_APPLIED = """
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",\
            "message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}""";

    private final ApiServerDispatcher dispatcher = new ApiServerDispatcher();
    private final KubernetesMockServer server;
    private final KubernetesClient client;

    public MockCluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        client = client(server.url("/"), Duration.ofSeconds(5));
    }

    public KubernetesClient client() {
        return client;
    }

    /** A client as the worker's application.properties configures one: bounded, no retries of its own. */
    public static KubernetesClient client(String apiServer, Duration requestTimeout) {
        return builder(apiServer, requestTimeout).build();
    }

    private static KubernetesClientBuilder builder(String apiServer, Duration requestTimeout) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(apiServer).withNamespace("default")
                .withConnectionTimeout(1000).withRequestTimeout((int) requestTimeout.toMillis()).withRequestRetryBackoffLimit(0)
                .withTrustCerts(true).build();
        return new KubernetesClientBuilder().withConfig(config);
    }

    /**
     * A client of this cluster that, just before each of its next {@code times} PATCH requests leaves, runs
     * {@code change}: someone else (the controller, another tool) changing the Deployment between the adapter's read
     * and its patch. The change is made through this cluster's own client, so it is a real write to the mock's store.
     */
    public KubernetesClient clientRacedBy(int times, Runnable change) {
        AtomicInteger left = new AtomicInteger(times);
        return builder(server.url("/"), Duration.ofSeconds(5)).withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("race",
                new Interceptor() {
                    @Override
                    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        if ("PATCH".equals(request.method()) && left.getAndDecrement() > 0) {
                            change.run();
                        }
                    }
                })).build();
    }

    /** How many PATCH requests writing the fencing-token annotation (the adapter's) the cluster received. */
    public int adapterPatches() {
        return dispatcher.adapterPatches.get();
    }

    /** How many PATCH requests the cluster refused because a test failed (or the patch did not apply otherwise). */
    public int patchesNotApplied() {
        return dispatcher.notApplied.get();
    }

    /** Answers the adapter's next {@code times} PATCH requests with HTTP {@code code} and {@code status}, not applying them. */
    public void refusePatches(int times, int code, String status) {
        for (int i = 0; i < times; i++) {
            dispatcher.refusals.add(new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(status));
        }
    }

    /** Changes an annotation of the Deployment (a write that bumps its resourceVersion, not its generation). */
    public Deployment annotate(String key, String value) {
        return client.apps().deployments().inNamespace(NAMESPACE).withName(DEPLOYMENT).edit(d -> {
            d.getMetadata().getAnnotations().put(key, value);
            return d;
        });
    }

    /** shop/web with the given containers (name → image), 3 replicas, at revision 4, fully rolled out. */
    public Deployment createDeployment(Map<String, String> containers) {
        List<Container> list = containers.entrySet().stream()
                .map(e -> new ContainerBuilder().withName(e.getKey()).withImage(e.getValue()).build()).toList();
        Deployment d = new DeploymentBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(DEPLOYMENT).withGeneration(1L)
                .addToAnnotations(KubernetesAdapter.REVISION, "4").addToLabels("app", "web").endMetadata()
                .withNewSpec().withReplicas(3).withNewSelector().addToMatchLabels("app", "web").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "web").endMetadata()
                .withNewSpec().withContainers(list).endSpec().endTemplate().endSpec()
                .build();
        client.apps().deployments().inNamespace(NAMESPACE).resource(d).create();
        return setStatus(generation(), 3, 3, 3, 3, null);
    }

    public Deployment get() {
        return client.apps().deployments().inNamespace(NAMESPACE).withName(DEPLOYMENT).get();
    }

    public long generation() {
        Long g = get().getMetadata().getGeneration();
        return g == null ? 0 : g;
    }

    public String image(String container) {
        return get().getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals(container))
                .findFirst().orElseThrow().getImage();
    }

    /** Writes the status as the Deployment controller would; {@code deadlineMessage} set: ProgressDeadlineExceeded. */
    public Deployment setStatus(long observedGeneration, int replicas, int updated, int available, int ready, String deadlineMessage) {
        DeploymentStatusBuilder b = new DeploymentStatusBuilder().withObservedGeneration(observedGeneration)
                .withReplicas(replicas).withUpdatedReplicas(updated).withAvailableReplicas(available).withReadyReplicas(ready);
        if (deadlineMessage != null) {
            b.addToConditions(new DeploymentConditionBuilder().withType("Progressing").withStatus("False")
                    .withReason("ProgressDeadlineExceeded").withMessage(deadlineMessage).build());
        } else {
            b.addToConditions(new DeploymentConditionBuilder().withType("Progressing").withStatus("True")
                    .withReason(updated >= replicas ? "NewReplicaSetAvailable" : "ReplicaSetUpdated").build());
        }
        DeploymentStatus status = b.build();
        return client.apps().deployments().inNamespace(NAMESPACE).withName(DEPLOYMENT).editStatus(d -> {
            d.setStatus(status);
            return d;
        });
    }

    public static NamedAdapter adapter(String container) {
        return new NamedAdapter("prod", AdapterSettings.kubernetes(NAMESPACE, DEPLOYMENT, container, TEMPLATE));
    }

    public static NamedAdapter adapter(String namespace, String deployment) {
        return new NamedAdapter("prod", AdapterSettings.kubernetes(namespace, deployment, null, TEMPLATE));
    }

    public static TaskContext context(long taskId, UUID cycle, int attempt) {
        return new TaskContext(taskId, cycle, "deploy", attempt, null, Instant.now().plus(Duration.ofMinutes(5)));
    }

    /**
     * The CRUD dispatcher, answering a JSON patch it cannot apply as the API server does (HTTP 422,
     * {@link #PATCH_NOT_APPLIED}) rather than leaving the request unanswered.
     */
    static final class ApiServerDispatcher extends KubernetesCrudDispatcher {
        final AtomicInteger adapterPatches = new AtomicInteger();
        final AtomicInteger notApplied = new AtomicInteger();
        final Queue<MockResponse> refusals = new ConcurrentLinkedQueue<>();

        @Override
        public MockResponse handlePatch(RecordedRequest request) {
            // getBytes() leaves the body for the CRUD handler (getUtf8Body() would consume it)
            String body = request.getBody() == null ? "" : new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
            if (body.contains(KubernetesAdapter.FENCE.replace("/", "~1"))) {
                adapterPatches.incrementAndGet();
                MockResponse refusal = refusals.poll();
                if (refusal != null) {
                    return refusal;
                }
            }
            try {
                return super.handlePatch(request);
            } catch (JsonPatchException e) {
                notApplied.incrementAndGet();
                return new MockResponse().setResponseCode(422).setHeader("Content-Type", "application/json").setBody(PATCH_NOT_APPLIED);
            }
        }
    }

    @Override
    public void close() {
        client.close();
        try {
            server.destroy();
        } catch (RejectedExecutionException e) {
            // mockwebserver 7.3.1's shutdown races its own Vert.x close (fabric8io/kubernetes-client#7747, fixed
            // later): the server is closed by then, only the listener that would report it is rejected
        }
    }
}

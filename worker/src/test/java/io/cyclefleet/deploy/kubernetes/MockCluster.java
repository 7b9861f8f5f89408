package io.cyclefleet.deploy.kubernetes;

import io.cyclefleet.deploy.AdapterConfig;
import io.cyclefleet.deploy.NamedAdapter;
import io.cyclefleet.handler.TaskContext;
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
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;

/**
 * fabric8's Kubernetes mock server in CRUD mode, with a client configured as the worker's (timeouts, no client
 * retries) and helpers to create a Deployment and play the Deployment controller's part: the mock has no
 * controller, so the tests write the status fields themselves.
 */
public final class MockCluster implements AutoCloseable {

    public static final String NAMESPACE = "shop";
    public static final String DEPLOYMENT = "web";
    public static final String TEMPLATE = "registry.example/shop/web:{{version}}";

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    public MockCluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        client = client(server.url("/"), Duration.ofSeconds(5));
    }

    public KubernetesClient client() {
        return client;
    }

    /** A client as the worker's application.properties configures one: bounded, no retries of its own. */
    public static KubernetesClient client(String apiServer, Duration requestTimeout) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(apiServer).withNamespace("default")
                .withConnectionTimeout(1000).withRequestTimeout((int) requestTimeout.toMillis()).withRequestRetryBackoffLimit(0)
                .withTrustCerts(true).build();
        return new KubernetesClientBuilder().withConfig(config).build();
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
        return new NamedAdapter("prod", new Settings("kubernetes", "[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}", Duration.ofMinutes(5),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Map.of(), Optional.empty(),
                Optional.of(NAMESPACE), Optional.of(DEPLOYMENT), Optional.ofNullable(container), TEMPLATE));
    }

    public static NamedAdapter adapter(String namespace, String deployment) {
        return new NamedAdapter("prod", new Settings("kubernetes", "[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}", Duration.ofMinutes(5),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Map.of(), Optional.empty(),
                Optional.of(namespace), Optional.of(deployment), Optional.empty(), TEMPLATE));
    }

    public static TaskContext context(long taskId, UUID cycle, int attempt) {
        return new TaskContext(taskId, cycle, "deploy", attempt, null, Instant.now().plus(Duration.ofMinutes(5)));
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

    /** Adapter settings as the config mapping would give them. */
    public record Settings(String type, String versionPattern, Duration timeout, Optional<String> deployCommand,
                           Optional<String> rollbackCommand, Optional<String> currentVersionCommand,
                           Optional<String> workingDirectory, Map<String, String> environment, Optional<String> url,
                           Optional<String> namespace, Optional<String> deployment, Optional<String> container,
                           String imageTemplate) implements AdapterConfig.Adapter {
    }
}

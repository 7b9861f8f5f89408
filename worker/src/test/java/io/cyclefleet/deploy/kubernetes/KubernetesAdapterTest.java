package io.cyclefleet.deploy.kubernetes;

import static io.cyclefleet.deploy.kubernetes.MockCluster.DEPLOYMENT;
import static io.cyclefleet.deploy.kubernetes.MockCluster.NAMESPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.deploy.Deployed;
import io.cyclefleet.deploy.NamedAdapter;
import io.cyclefleet.deploy.RolloutStatus;
import io.cyclefleet.handler.TaskContext;
import io.cyclefleet.handler.TaskFailure;
import io.cyclefleet.outbound.Outbound;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KubernetesAdapterTest {

    private static final String V1 = "registry.example/shop/web:1.0";
    private static final String V2 = "registry.example/shop/web:2.0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private MockCluster cluster;
    private KubernetesAdapter adapter;
    private final NamedAdapter prod = MockCluster.adapter(null);
    private final UUID cycle = UUID.randomUUID();
    private final TaskContext deployTask = MockCluster.context(11, cycle, 1);

    @BeforeEach
    void start() {
        cluster = new MockCluster();
        adapter = new KubernetesAdapter(cluster.client(), new Outbound());
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void deploySetsTheImageAndRecordsThePreviousImageAndRevision() throws Exception {
        cluster.createDeployment(Map.of("app", V1));

        Deployed d = adapter.deploy(prod, "2.0", deployTask);

        assertEquals(V2, cluster.image("app"), "the Deployment's container runs the new image");
        assertEquals("prod", d.adapter());
        assertEquals("2.0", d.version());
        assertEquals("1.0", d.previousVersion(), "the previous image matches the template: its version is recorded");
        assertEquals(NAMESPACE, d.details().get("namespace"));
        assertEquals(DEPLOYMENT, d.details().get("deployment"));
        assertEquals("app", d.details().get("container"));
        assertEquals(V1, d.details().get("previousImage"));
        assertEquals(V2, d.details().get("image"));
        assertEquals("4", d.details().get("previousRevision"));
        assertEquals(cluster.generation(), ((Number) d.details().get("generation")).longValue());
        assertEquals(cluster.client().getMasterUrl().toString().replaceAll("/$", ""), d.details().get("apiServer"));

        JsonNode record = JSON.readTree(cluster.get().getMetadata().getAnnotations().get(KubernetesAdapter.LAST_DEPLOY));
        assertEquals(11, record.path("task").asLong());
        assertEquals(V1, record.path("previousImage").asText());
        assertEquals("4", record.path("previousRevision").asText());
        Map<String, String> podAnnotations = cluster.get().getSpec().getTemplate().getMetadata().getAnnotations();
        assertFalse(podAnnotations != null && podAnnotations.containsKey(KubernetesAdapter.LAST_DEPLOY),
                "the record is on the Deployment, not on the pod template (which would roll the pods): " + podAnnotations);
    }

    @Test
    void deployingTheImageThatRunsIsANoOpThatSucceeds() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        String before = cluster.get().getMetadata().getResourceVersion();

        Deployed d = adapter.deploy(prod, "1.0", deployTask);

        assertEquals(before, cluster.get().getMetadata().getResourceVersion(), "nothing was written");
        assertEquals("1.0", d.previousVersion());
        assertEquals(V1, d.details().get("previousImage"));
        assertEquals(true, d.details().get("unchanged"));
    }

    @Test
    void aDeployRunAgainAfterItsPatchWentThroughReportsTheImageItReplacedNotItsOwn() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        adapter.deploy(prod, "2.0", deployTask); // its result lost: the worker died, or the response timed out

        Deployed again = adapter.deploy(prod, "2.0", MockCluster.context(11, cycle, 2));
        assertEquals(V1, again.details().get("previousImage"), "the redelivered attempt finds its own record");
        assertEquals("1.0", again.previousVersion());
        assertEquals("4", again.details().get("previousRevision"));
        assertEquals(true, again.details().get("repeated"));

        Deployed other = adapter.deploy(prod, "2.0", MockCluster.context(12, cycle, 1));
        assertEquals(V2, other.details().get("previousImage"), "another task deploying what runs changes nothing");
        assertEquals(true, other.details().get("unchanged"));
    }

    @Test
    void rolloutStatusFollowsTheControllerThroughProgressSuccessAndDeadlineExceeded() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        assertTrue(status().done(), "the starting Deployment is rolled out: " + status());

        adapter.deploy(prod, "2.0", deployTask);
        long generation = cluster.generation();
        cluster.setStatus(generation - 1, 3, 3, 3, 3, null);
        RolloutStatus s = status();
        assertEquals(generation, s.generation());
        assertEquals(generation - 1, s.observedGeneration());
        assertFalse(s.done(), "the controller has not observed the new generation: " + s);
        assertTrue(s.message().contains("to be observed"), s.message());

        cluster.setStatus(generation, 4, 1, 3, 3, null); // one new pod up, the old ones still serving
        s = status();
        assertEquals(3, s.desired());
        assertEquals(1, s.updated());
        assertFalse(s.done(), "1 of 3 updated: " + s);
        assertEquals("1 of 3 new replicas have been updated", s.message());

        cluster.setStatus(generation, 6, 3, 3, 3, null); // surge: every new pod created, old ones still available
        s = status();
        assertFalse(s.done(), "3 old replicas are left and the available ones may all be old: " + s);
        assertEquals("3 old replicas are pending termination", s.message());

        cluster.setStatus(generation, 3, 3, 2, 2, null);
        s = status();
        assertFalse(s.done(), "one updated replica is not available yet: " + s);
        assertEquals("2 of 3 updated replicas are available", s.message());

        cluster.setStatus(generation, 3, 3, 3, 3, null);
        s = status();
        assertTrue(s.done(), "observed = generation, updated = available = desired: " + s);
        assertFalse(s.progressDeadlineExceeded());

        cluster.setStatus(generation, 4, 1, 3, 3, "ReplicaSet \"web-7d9\" has timed out progressing.");
        s = status();
        assertTrue(s.progressDeadlineExceeded(), s.toString());
        assertFalse(s.done(), "a rollout past its deadline is failed, not done: " + s);
        assertEquals("ReplicaSet \"web-7d9\" has timed out progressing.", s.message(), "the controller's own words");
    }

    @Test
    void rollbackPutsBackTheRecordedPreviousImage() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Deployed deployed = adapter.deploy(prod, "2.0", deployTask);
        assertEquals(V2, cluster.image("app"));

        Deployed back = adapter.rollback(prod, deployed, MockCluster.context(13, cycle, 1));

        assertEquals(V1, cluster.image("app"));
        assertEquals("1.0", back.version(), "rolled back to the version the deploy replaced");
        assertEquals("2.0", back.previousVersion(), "what ran before the rollback");
        assertEquals(V2, back.details().get("previousImage"));
        assertEquals(V1, back.details().get("image"));

        Deployed again = adapter.rollback(prod, deployed, MockCluster.context(13, cycle, 2));
        assertEquals(V1, cluster.image("app"));
        assertEquals(true, again.details().get("unchanged"), "a repeated rollback finds the image back already");
    }

    @Test
    void rollbackReadsARecordThatWentThroughJsonAndFallsBackToThePreviousVersionThroughTheTemplate() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Deployed deployed = adapter.deploy(prod, "2.0", deployTask);
        Deployed stored = JSON.readValue(JSON.writeValueAsString(deployed), Deployed.class);
        adapter.rollback(prod, stored, deployTask);
        assertEquals(V1, cluster.image("app"));

        adapter.deploy(prod, "2.0", MockCluster.context(14, cycle, 1));
        Deployed versionOnly = new Deployed("prod", "2.0", "1.0", null);
        adapter.rollback(prod, versionOnly, deployTask);
        assertEquals(V1, cluster.image("app"));
    }

    @Test
    void rollbackWithoutARecordedDeployFailsWithoutRetry() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.rollback(prod, null, deployTask));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("nothing to roll back to"), f.getMessage());

        TaskFailure empty = assertThrows(TaskFailure.class,
                () -> adapter.rollback(prod, new Deployed("prod", "2.0", null, Map.of()), deployTask));
        assertFalse(empty.retryable());
        assertTrue(empty.getMessage().contains("no previous image or version"), empty.getMessage());
        assertEquals(V1, cluster.image("app"));
    }

    @Test
    void rollbackRefusesARecordOfAnotherDeployment() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Map<String, Object> details = new LinkedHashMap<>(adapter.deploy(prod, "2.0", deployTask).details());
        details.put("deployment", "api");
        TaskFailure f = assertThrows(TaskFailure.class,
                () -> adapter.rollback(prod, new Deployed("prod", "2.0", "1.0", details), deployTask));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("shop/api") && f.getMessage().contains("shop/web"), f.getMessage());
        assertEquals(V2, cluster.image("app"), "nothing rolled back");
    }

    @Test
    void aMissingDeploymentFailsWithoutRetryNamingNamespaceAndName() {
        NamedAdapter missing = MockCluster.adapter(NAMESPACE, "nope");
        for (Attempt a : new Attempt[] {
                () -> adapter.deploy(missing, "2.0", deployTask),
                () -> adapter.rolloutStatus(missing, deployTask),
                () -> adapter.rollback(missing, new Deployed("prod", "2.0", "1.0", null), deployTask)}) {
            TaskFailure f = assertThrows(TaskFailure.class, a::run);
            assertFalse(f.retryable(), f.getMessage());
            assertTrue(f.getMessage().startsWith("deployment shop/nope not found"), f.getMessage());
        }
    }

    @Test
    void severalContainersNeedTheContainerNamedAndTheOthersAreLeftAlone() throws Exception {
        Map<String, String> containers = new LinkedHashMap<>();
        containers.put("log-shipper", "registry.example/shipper:7");
        containers.put("app", V1);
        cluster.createDeployment(containers);

        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.deploy(prod, "2.0", deployTask));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("[log-shipper, app]") && f.getMessage().contains("cyclefleet.adapters.prod.container"),
                f.getMessage());
        TaskFailure unknown = assertThrows(TaskFailure.class, () -> adapter.deploy(MockCluster.adapter("api"), "2.0", deployTask));
        assertTrue(unknown.getMessage().contains("no container 'api'"), unknown.getMessage());

        Deployed d = adapter.deploy(MockCluster.adapter("app"), "2.0", deployTask);
        assertEquals(V2, cluster.image("app"));
        assertEquals("registry.example/shipper:7", cluster.image("log-shipper"));
        assertEquals("app", d.details().get("container"));
    }

    @Test
    void anUnreachableApiServerIsARetryableFailureNamingItWithinBoundedTime() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (KubernetesClient down = MockCluster.client("http://127.0.0.1:" + port, Duration.ofSeconds(2))) {
            KubernetesAdapter a = new KubernetesAdapter(down, new Outbound());
            long start = System.nanoTime();
            TaskFailure f = assertThrows(TaskFailure.class, () -> a.deploy(prod, "2.0", deployTask));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(f.retryable(), f.getMessage());
            assertTrue(f.getMessage().startsWith("kubernetes:shop/web at http://127.0.0.1:" + port + ": "), f.getMessage());
            assertTrue(f.getMessage().toLowerCase().contains("connect"), "the cause is named: " + f.getMessage());
            assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
        }
    }

    @Test
    void anApiServerThatNeverAnswersTimesOutAsARetryableFailure() throws Exception {
        // the kernel completes the TCP handshake into the backlog; nobody ever reads or answers
        try (ServerSocket silent = new ServerSocket(0, 50);
             KubernetesClient hung = MockCluster.client("http://127.0.0.1:" + silent.getLocalPort(), Duration.ofMillis(500))) {
            KubernetesAdapter a = new KubernetesAdapter(hung, new Outbound());
            long start = System.nanoTime();
            TaskFailure f = assertThrows(TaskFailure.class, () -> a.rolloutStatus(prod, deployTask));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(f.retryable(), f.getMessage());
            assertTrue(f.getMessage().startsWith("kubernetes:shop/web at http://127.0.0.1:" + silent.getLocalPort() + ": "),
                    f.getMessage());
            assertTrue(took.compareTo(Duration.ofMillis(1400)) > 0, "three reads of 500 ms each (a read is retried twice): " + took);
            assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
        }
    }

    @Test
    void aVersionOutsideTheAdaptersPatternIsRefusedBeforeAnyCall() {
        cluster.createDeployment(Map.of("app", V1));
        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.deploy(prod, "2.0 --privileged", deployTask));
        assertFalse(f.retryable());
        assertEquals(V1, cluster.image("app"));
    }

    @Test
    void theVersionIsReadBackThroughTheTemplateWhenTheImageMatchesIt() {
        assertEquals("1.0", KubernetesAdapter.versionOf(prod, V1));
        assertEquals("other/web:1.0", KubernetesAdapter.versionOf(prod, "other/web:1.0"), "no match: the whole image");
    }

    private RolloutStatus status() throws Exception {
        return adapter.rolloutStatus(prod, deployTask).orElseThrow();
    }

    private interface Attempt {
        void run() throws Exception;
    }
}

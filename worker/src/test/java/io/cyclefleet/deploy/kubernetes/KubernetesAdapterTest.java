package io.cyclefleet.deploy.kubernetes;

import static io.cyclefleet.deploy.kubernetes.MockCluster.DEPLOYMENT;
import static io.cyclefleet.deploy.kubernetes.MockCluster.NAMESPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.deploy.Deployed;
import io.cyclefleet.deploy.Intent;
import io.cyclefleet.deploy.NamedAdapter;
import io.cyclefleet.deploy.Observed;
import io.cyclefleet.deploy.RolloutStatus;
import io.cyclefleet.deploy.TestIntents;
import io.cyclefleet.outbound.Outbound;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes adapter against fabric8's mock API server (CRUD mode), driven as {@code Deployments} drives it:
 * observe, then converge with an intent.
 */
class KubernetesAdapterTest {

    private static final String V1 = "registry.example/shop/web:1.0";
    private static final String V2 = "registry.example/shop/web:2.0";
    private static final Duration ACT_FOR = Duration.ofMinutes(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private MockCluster cluster;
    private KubernetesAdapter adapter;
    private final NamedAdapter prod = MockCluster.adapter(null);
    private final UUID cycle = UUID.randomUUID();
    private final TaskContext deployTask = MockCluster.context(11, cycle, 1);
    private final TaskContext rollbackTask = MockCluster.context(13, cycle, 1);

    @BeforeEach
    void start() {
        cluster = new MockCluster();
        adapter = new KubernetesAdapter(cluster.client(), new Outbound());
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    /** A deploy as Deployments makes it: observe, then converge with the fencing token {@code token}. */
    private Deployed deploy(NamedAdapter a, String version, long token) throws Exception {
        Observed seen = adapter.observe(a, deployTask);
        return adapter.converge(a, TestIntents.deploy(token, version, seen, ACT_FOR), deployTask);
    }

    /** The Deployment ran 1.0 and a deploy with fencing token {@code token} set 2.0: its intent (observed: 1.0). */
    private Intent deployedFrom1To2(long token) throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Intent deploy = TestIntents.deploy(token, "2.0", adapter.observe(prod, deployTask), ACT_FOR);
        adapter.converge(prod, deploy, deployTask);
        return deploy;
    }

    /** A rollback as Deployments makes it: observe, then converge to what the deploy observed. */
    private Deployed rollback(Observed deployObserved, long token) throws Exception {
        Observed seen = adapter.observe(prod, rollbackTask);
        return adapter.converge(prod, TestIntents.rollback(token, deployObserved.version(), seen, deployObserved.state(), ACT_FOR),
                rollbackTask);
    }

    @Test
    void convergeSetsTheImageAndReportsThePreviousImageAndRevision() throws Exception {
        cluster.createDeployment(Map.of("app", V1));

        Deployed d = deploy(prod, "2.0", 41);

        assertEquals(V2, cluster.image("app"), "the Deployment's container runs the new image");
        assertEquals("prod", d.adapter());
        assertEquals("2.0", d.version());
        assertEquals("1.0", d.previousVersion(), "the previous image matches the template: its version is reported");
        assertEquals(NAMESPACE, d.details().get("namespace"));
        assertEquals(DEPLOYMENT, d.details().get("deployment"));
        assertEquals("app", d.details().get("container"));
        assertEquals(V1, d.details().get("previousImage"));
        assertEquals(V2, d.details().get("image"));
        assertEquals("4", d.details().get("previousRevision"));
        assertEquals(41L, d.details().get("fencingToken"));
        assertEquals(cluster.generation(), ((Number) d.details().get("generation")).longValue());
        assertEquals(cluster.client().getMasterUrl().toString().replaceAll("/$", ""), d.details().get("apiServer"));
        assertFalse(d.details().containsKey("unchanged"), d.details().toString());

        JsonNode record = JSON.readTree(cluster.get().getMetadata().getAnnotations().get(KubernetesAdapter.LAST_CHANGE));
        assertEquals(11, record.path("task").asLong());
        assertEquals(V1, record.path("previousImage").asText());
        assertEquals("4", record.path("previousRevision").asText());
        Map<String, String> podAnnotations = cluster.get().getSpec().getTemplate().getMetadata().getAnnotations();
        assertFalse(podAnnotations != null && podAnnotations.containsKey(KubernetesAdapter.LAST_CHANGE),
                "the record is on the Deployment, not on the pod template (which would roll the pods): " + podAnnotations);
    }

    @Test
    void observeReportsVersionImageRevisionAndResourceVersionAndChangesNothing() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Deployment before = cluster.get();

        Observed seen = adapter.observe(prod, deployTask);

        assertEquals(new Observed("1.0", true, Map.of("namespace", NAMESPACE, "deployment", DEPLOYMENT, "container", "app", "image", V1,
                "revision", "4", "resourceVersion", before.getMetadata().getResourceVersion(),
                "generation", before.getMetadata().getGeneration())), seen);
        assertEquals(before, cluster.get(), "nothing was written");

        cluster.client().apps().deployments().inNamespace(NAMESPACE).withName(DEPLOYMENT).edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("mirror.example/web:1.0-hotfix");
            return d;
        });
        assertEquals("mirror.example/web:1.0-hotfix", adapter.observe(prod, deployTask).version(),
                "an image off the template is its own version");
    }

    @Test
    void aSpecChangedSinceTheIntentsObservationIsNotOverwritten() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Intent deploy = TestIntents.deploy(41, "2.0", adapter.observe(prod, deployTask), ACT_FOR);
        cluster.client().apps().deployments().inNamespace(NAMESPACE).withName(DEPLOYMENT).edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("registry.example/shop/web:1.5"); // by hand
            return d;
        });
        long generation = cluster.generation();

        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.converge(prod, deploy, deployTask));

        assertTrue(f.retryable(), "the next attempt observes again");
        assertTrue(f.getMessage().contains("changed since this attempt observed it"), f.getMessage());
        assertEquals("registry.example/shop/web:1.5", cluster.image("app"));
        assertEquals(generation, cluster.generation(), "nothing written");
    }

    @Test
    void aRollbackThatFindsTheTargetRestoredFencesItSoAStaleDeployThatSawItBeforeDoesNotAct() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        // a deploy attempt observed 1.0 and recorded its intent, then its worker froze before it patched
        Intent stale = TestIntents.deploy(41, "2.0", adapter.observe(prod, deployTask), ACT_FOR);
        // the rollback (token 42) finds 1.0 running: nothing to change, but it marks the Deployment
        Observed seen = adapter.observe(prod, rollbackTask);
        adapter.fence(prod, TestIntents.rollback(42, "1.0", seen, seen.state(), ACT_FOR), rollbackTask);
        assertEquals("42", cluster.get().getMetadata().getAnnotations().get(KubernetesAdapter.FENCE));
        assertEquals(V1, cluster.image("app"));
        assertEquals(1, cluster.generation(), "fencing changes no spec: the pods do not roll");

        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.converge(prod, stale, deployTask));

        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("stale"), f.getMessage());
        assertEquals(V1, cluster.image("app"), "the target keeps the restored version");
        // fencing again with an older token changes nothing
        String rv = cluster.get().getMetadata().getResourceVersion();
        adapter.fence(prod, TestIntents.rollback(40, "1.0", seen, seen.state(), ACT_FOR), rollbackTask);
        assertEquals(rv, cluster.get().getMetadata().getResourceVersion());
    }

    @Test
    void convergeWritesTheFencingTokenAndTheLastChangeOnTheDeployment() throws Exception {
        cluster.createDeployment(Map.of("app", V1));

        deploy(prod, "2.0", 41);

        Map<String, String> annotations = cluster.get().getMetadata().getAnnotations();
        assertEquals("41", annotations.get(KubernetesAdapter.FENCE));
        JsonNode change = JSON.readTree(annotations.get(KubernetesAdapter.LAST_CHANGE));
        assertEquals(JSON.createObjectNode().put("task", 11).put("cycle", cycle.toString()).put("container", "app").put("image", V2)
                .put("previousImage", V1).put("previousRevision", "4").put("fencingToken", 41), change);
        assertEquals("4", annotations.get(KubernetesAdapter.REVISION), "the controller's revision is left alone");
    }

    @Test
    void convergeOnADeploymentRunningTheImageChangesNoImageButRecordsItsToken() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Deployment before = cluster.get();

        Deployed d = deploy(prod, "1.0", 41);

        assertEquals(true, d.details().get("unchanged"));
        assertEquals(V1, d.details().get("previousImage"));
        assertEquals(V1, d.details().get("image"));
        assertEquals("1.0", d.previousVersion());
        Deployment after = cluster.get();
        assertEquals(before.getSpec(), after.getSpec(), "the pod template is untouched: nothing rolls");
        assertEquals(before.getMetadata().getGeneration(), after.getMetadata().getGeneration());
        assertEquals("41", after.getMetadata().getAnnotations().get(KubernetesAdapter.FENCE),
                "the token is recorded all the same: an older attempt arriving later must find it");
        assertTrue(Long.parseLong(after.getMetadata().getResourceVersion()) > Long.parseLong(before.getMetadata().getResourceVersion()));
    }

    @Test
    void aStaleAttemptFindingANewerFencingTokenRefusesAndChangesNothing() throws Exception {
        // the deploy (token 11) set 2.0, its worker was cut off; the rollback (token 12) set 1.0 back
        Intent stale = deployedFrom1To2(11);
        rollback(stale.observed(), 12);
        Deployment afterRollback = cluster.get();

        // the stale attempt acts again later
        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.converge(prod, stale, deployTask));

        assertFalse(f.retryable());
        assertEquals("adapter 'prod': shop/web already carries a newer change (fencing token 12) than this attempt's (11): "
                + "this attempt is stale and does not act", f.getMessage());
        assertEquals(afterRollback, cluster.get(), "nothing was written");
        assertEquals(V1, cluster.image("app"));
    }

    @Test
    void aStaleAttemptWhosePatchLosesTheRaceToTheRollbackReadsAgainAndRefuses() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Intent stale = TestIntents.deploy(11, "2.0", adapter.observe(prod, deployTask), ACT_FOR);
        // the rollback (fencing the restored 1.0) lands between the stale attempt's read and its patch
        try (KubernetesClient raced = cluster.clientRacedBy(1, () -> {
            try {
                rollback(stale.observed(), 12);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        })) {
            TaskFailure f = assertThrows(TaskFailure.class, () -> new KubernetesAdapter(raced, new Outbound()).converge(prod, stale, deployTask));

            assertFalse(f.retryable());
            assertTrue(f.getMessage().contains("(fencing token 12) than this attempt's (11)"), f.getMessage());
            assertEquals(1, cluster.patchesNotApplied(), "its patch failed the resourceVersion test, it read again and stopped");
            assertEquals(V1, cluster.image("app"), "the rollback stands");
            assertEquals("12", cluster.get().getMetadata().getAnnotations().get(KubernetesAdapter.FENCE));
        }
    }

    @Test
    void aFencingTokenThatIsNotANumberIsNeverOverwritten() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        cluster.annotate(KubernetesAdapter.FENCE, "set-by-hand");
        TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(prod, "2.0", 41));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("(fencing token set-by-hand)"), f.getMessage());
        assertEquals(V1, cluster.image("app"));
    }

    @Test
    void noTimeLeftMeansNoCallAtAll() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Deployment before = cluster.get();
        Intent expired = TestIntents.deploy(41, "2.0", adapter.observe(prod, deployTask), Duration.ofMillis(-1));
        TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.converge(prod, expired, deployTask));
        assertTrue(f.retryable(), f.getMessage());
        assertTrue(f.getMessage().startsWith("adapter 'prod': no time left to act on shop/web"), f.getMessage());
        assertEquals(0, cluster.adapterPatches());
        assertEquals(before, cluster.get());
    }

    @Test
    void aRollbackRestoresTheExactImageTheDeployObservedEvenOffTheTemplate() throws Exception {
        String hotfix = "mirror.example/shop/web:1.0-hotfix3";
        cluster.createDeployment(Map.of("app", hotfix));
        Observed before = adapter.observe(prod, deployTask);
        assertEquals(hotfix, before.version(), "off the template, the version is the whole image");
        adapter.converge(prod, TestIntents.deploy(41, "2.0", before, ACT_FOR), deployTask);
        assertEquals(V2, cluster.image("app"));

        Deployed back = rollback(before, 42);

        assertEquals(hotfix, cluster.image("app"), "not the template filled with it");
        assertEquals(hotfix, back.version());
        assertEquals(hotfix, back.details().get("image"));
        assertEquals(V2, back.details().get("previousImage"));
    }

    @Test
    void aChangeBetweenReadAndPatchIsReadAgainAndTheDeployStillConverges() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Observed seen = adapter.observe(prod, deployTask);
        // the controller updates the status between the adapter's read and its patch
        try (KubernetesClient raced = cluster.clientRacedBy(1, () -> cluster.setStatus(cluster.generation(), 4, 1, 3, 3, null))) {
            Deployed d = new KubernetesAdapter(raced, new Outbound()).converge(prod, TestIntents.deploy(41, "2.0", seen, ACT_FOR), deployTask);

            assertEquals(2, cluster.adapterPatches(), "patched, refused, read again, patched");
            assertEquals(1, cluster.patchesNotApplied(), "the first patch failed its resourceVersion test");
            assertEquals(V2, cluster.image("app"));
            assertEquals("41", cluster.get().getMetadata().getAnnotations().get(KubernetesAdapter.FENCE));
            assertEquals(1, cluster.get().getStatus().getUpdatedReplicas(), "the concurrent change is kept, not overwritten");
            assertEquals("1.0", d.previousVersion());
        }
    }

    @Test
    void aDeploymentThatKeepsChangingFailsRetryablyAfterFourPatches() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        Observed seen = adapter.observe(prod, deployTask);
        AtomicInteger changes = new AtomicInteger();
        try (KubernetesClient raced = cluster.clientRacedBy(10, () -> cluster.annotate("example.com/busy", "" + changes.incrementAndGet()))) {
            TaskFailure f = assertThrows(TaskFailure.class, () -> new KubernetesAdapter(raced, new Outbound())
                    .converge(prod, TestIntents.deploy(41, "2.0", seen, ACT_FOR), deployTask));

            assertTrue(f.retryable(), "the step's retry policy decides: " + f.getMessage());
            assertTrue(f.getMessage().startsWith("kubernetes:shop/web at " + cluster.client().getMasterUrl().toString().replaceAll("/$", "")
                    + ": the Deployment kept changing between read and patch (HTTP 422: "), f.getMessage());
            assertEquals(4, cluster.adapterPatches());
            assertEquals(4, cluster.patchesNotApplied());
            assertEquals(4, changes.get());
            assertEquals(V1, cluster.image("app"));
            assertFalse(cluster.get().getMetadata().getAnnotations().containsKey(KubernetesAdapter.FENCE));
        }
    }

    @Test
    void aWriteConflictIsReadAgainButAnInvalidPatchIsNot() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        cluster.refusePatches(1, 409, """
                {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on \
                deployments.apps \\"web\\": the object has been modified; please apply your changes to the latest version and try again",\
                "reason":"Conflict","details":{"name":"web","group":"apps","kind":"deployments"},"code":409}""");
        deploy(prod, "2.0", 41);
        assertEquals(2, cluster.adapterPatches(), "a 409 is a conflict: read again and patched");
        assertEquals(V2, cluster.image("app"));

        // what the API server answers a patch whose result fails validation (an admission plugin may also answer 422 Invalid)
        cluster.refusePatches(4, 422, """
                {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Deployment.apps \\"web\\" is invalid: \
                spec.template.spec.containers[0].image: Invalid value: \\"registry.example/shop/web:3.0\\": must not be 3.0",\
                "reason":"Invalid","details":{"name":"web","group":"apps","kind":"Deployment","causes":[{"reason":"FieldValueInvalid",\
                "message":"Invalid value: \\"registry.example/shop/web:3.0\\": must not be 3.0",\
                "field":"spec.template.spec.containers[0].image"}]},"code":422}""");
        TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(prod, "3.0", 42));
        assertEquals(3, cluster.adapterPatches(), "an invalid patch is not a conflict: not sent again (" + f.getMessage() + ")");
        assertTrue(f.getMessage().contains("HTTP 422: Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image"),
                f.getMessage());
        assertEquals(V2, cluster.image("app"));
    }

    @Test
    void rolloutStatusFollowsTheControllerThroughProgressSuccessAndDeadlineExceeded() throws Exception {
        cluster.createDeployment(Map.of("app", V1));
        assertTrue(status().done(), "the starting Deployment is rolled out: " + status());

        deploy(prod, "2.0", 41);
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
    void aRollbackPutsBackThePreviousImageAndARepeatedOneChangesNoImage() throws Exception {
        Observed before = deployedFrom1To2(41).observed();
        assertEquals(V2, cluster.image("app"));

        Deployed back = rollback(before, 42);

        assertEquals(V1, cluster.image("app"));
        assertEquals("1.0", back.version(), "rolled back to the version the deploy replaced");
        assertEquals("2.0", back.previousVersion(), "what ran before the rollback");
        assertEquals(V2, back.details().get("previousImage"));
        assertEquals(V1, back.details().get("image"));

        Deployed again = rollback(before, 43);
        assertEquals(V1, cluster.image("app"));
        assertEquals(true, again.details().get("unchanged"), "a repeated rollback finds the image back already");
    }

    @Test
    void aRollbackReadsARestoreStateThatWentThroughJsonAndWithoutOneGoesThroughTheTemplate() throws Exception {
        Observed before = deployedFrom1To2(41).observed();
        // deployment_intent.observed is jsonb: what comes back is what JSON keeps of the state
        Map<String, Object> stored = JSON.readValue(JSON.writeValueAsString(before.state()), new TypeReference<>() {
        });
        Observed seen = adapter.observe(prod, rollbackTask);
        adapter.converge(prod, TestIntents.rollback(42, "1.0", seen, stored, ACT_FOR), rollbackTask);
        assertEquals(V1, cluster.image("app"));

        deploy(prod, "2.0", 43);
        seen = adapter.observe(prod, rollbackTask);
        adapter.converge(prod, TestIntents.rollback(44, "1.0", seen, Map.of(), ACT_FOR), rollbackTask);
        assertEquals(V1, cluster.image("app"), "no observed state (a version learned from the target): the template makes the image");
    }

    @Test
    void aRollbackRefusesARestoreStateOfAnotherDeployment() throws Exception {
        Observed before = deployedFrom1To2(41).observed();
        Map<String, Object> elsewhere = new LinkedHashMap<>(before.state());
        elsewhere.put("deployment", "api");
        Observed seen = adapter.observe(prod, rollbackTask);

        TaskFailure f = assertThrows(TaskFailure.class,
                () -> adapter.converge(prod, TestIntents.rollback(42, "1.0", seen, elsewhere, ACT_FOR), rollbackTask));

        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("shop/api") && f.getMessage().contains("shop/web"), f.getMessage());
        assertEquals(V2, cluster.image("app"), "nothing rolled back");
    }

    @Test
    void aMissingDeploymentFailsWithoutRetryNamingNamespaceAndName() {
        NamedAdapter missing = MockCluster.adapter(NAMESPACE, "nope");
        for (Attempt a : new Attempt[] {
                () -> adapter.observe(missing, deployTask),
                () -> adapter.converge(missing, TestIntents.deploy(41, "2.0", Observed.version("1.0"), ACT_FOR), deployTask),
                () -> adapter.rolloutStatus(missing, deployTask)}) {
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

        for (Attempt a : new Attempt[] {
                () -> adapter.observe(prod, deployTask),
                () -> adapter.converge(prod, TestIntents.deploy(41, "2.0", Observed.version("1.0"), ACT_FOR), deployTask)}) {
            TaskFailure f = assertThrows(TaskFailure.class, a::run);
            assertFalse(f.retryable());
            assertTrue(f.getMessage().contains("[log-shipper, app]") && f.getMessage().contains("cyclefleet.adapters.prod.container"),
                    f.getMessage());
        }
        TaskFailure unknown = assertThrows(TaskFailure.class, () -> adapter.observe(MockCluster.adapter("api"), deployTask));
        assertTrue(unknown.getMessage().contains("no container 'api'"), unknown.getMessage());

        Deployed d = deploy(MockCluster.adapter("app"), "2.0", 41);
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
            for (Attempt attempt : new Attempt[] {
                    () -> a.observe(prod, deployTask),
                    () -> a.converge(prod, TestIntents.deploy(41, "2.0", Observed.version("1.0"), ACT_FOR), deployTask)}) {
                long start = System.nanoTime();
                TaskFailure f = assertThrows(TaskFailure.class, attempt::run);
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(f.retryable(), f.getMessage());
                assertTrue(f.getMessage().startsWith("kubernetes:shop/web at http://127.0.0.1:" + port + ": "), f.getMessage());
                assertTrue(f.getMessage().toLowerCase().contains("connect"), "the cause is named: " + f.getMessage());
                assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
            }
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
        String resourceVersion = cluster.get().getMetadata().getResourceVersion();
        TaskFailure f = assertThrows(TaskFailure.class,
                () -> adapter.converge(prod, TestIntents.deploy(41, "2.0 --privileged", Observed.version("1.0"), ACT_FOR), deployTask));
        assertFalse(f.retryable());
        assertEquals(V1, cluster.image("app"));
        assertEquals(resourceVersion, cluster.get().getMetadata().getResourceVersion(), "nothing was written");
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

package io.cyclefleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.deploy.kubernetes.KubernetesAdapter;
import io.cyclefleet.deploy.kubernetes.MockCluster;
import io.cyclefleet.outbound.Outbound;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RolloutWaiterTest {

    private static final Duration POLL = Duration.ofMillis(10);

    private MockCluster cluster;
    private final NamedAdapter prod = MockCluster.adapter(null);
    private final TaskContext verify = MockCluster.context(21, UUID.randomUUID(), 1);
    private long generation;

    @BeforeEach
    void start() throws Exception {
        cluster = new MockCluster();
        cluster.createDeployment(Map.of("app", "registry.example/shop/web:1.0"));
        KubernetesAdapter k8s = new KubernetesAdapter(cluster.client(), new Outbound());
        TaskContext deploy = MockCluster.context(20, UUID.randomUUID(), 1);
        k8s.converge(prod, TestIntents.deploy(20, "2.0", k8s.observe(prod, deploy), Duration.ofMinutes(1)), deploy);
        generation = cluster.generation();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    /**
     * The Kubernetes adapter, with the Deployment controller played by a script: before poll n, step n of the
     * script writes the status the controller would have reached by then.
     */
    private final class Scripted implements DeploymentAdapter {
        final KubernetesAdapter real = new KubernetesAdapter(cluster.client(), new Outbound());
        final List<Runnable> script = new ArrayList<>();
        int polls;

        @Override
        public String type() {
            return real.type();
        }

        @Override
        public Observed observe(NamedAdapter adapter, TaskContext context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Deployed converge(NamedAdapter adapter, Intent intent, TaskContext context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<RolloutStatus> rolloutStatus(NamedAdapter adapter, TaskContext context) throws TaskFailure, InterruptedException {
            if (polls < script.size()) {
                script.get(polls).run();
            }
            polls++;
            return real.rolloutStatus(adapter, context);
        }
    }

    @Test
    void waitsThroughTheRolloutAndReturnsTheStatusOnceItIsDone() throws Exception {
        Scripted k8s = new Scripted();
        k8s.script.add(() -> cluster.setStatus(generation - 1, 3, 3, 3, 3, null)); // new spec not observed yet
        k8s.script.add(() -> cluster.setStatus(generation, 4, 1, 3, 3, null));     // one new pod
        k8s.script.add(() -> cluster.setStatus(generation, 6, 3, 3, 3, null));     // all new pods, old ones left
        k8s.script.add(() -> cluster.setStatus(generation, 3, 3, 2, 2, null));     // old ones gone, one new not available
        k8s.script.add(() -> cluster.setStatus(generation, 3, 3, 3, 3, null));     // done

        RolloutStatus s = RolloutWaiter.awaitRollout(k8s, prod, verify, Duration.ofSeconds(30), POLL).orElseThrow();

        assertTrue(s.done(), s.toString());
        assertEquals(generation, s.observedGeneration());
        assertEquals(5, k8s.polls, "it polled until the controller reported the rollout done, and no further");
    }

    @Test
    void aProgressDeadlineExceededFailsTheRolloutWithoutRetry() {
        Scripted k8s = new Scripted();
        k8s.script.add(() -> cluster.setStatus(generation, 4, 1, 3, 3, null));
        k8s.script.add(() -> cluster.setStatus(generation, 4, 1, 3, 3, "ReplicaSet \"web-7d9\" has timed out progressing."));

        TaskFailure f = assertThrows(TaskFailure.class,
                () -> RolloutWaiter.awaitRollout(k8s, prod, verify, Duration.ofSeconds(30), POLL));

        assertFalse(f.retryable());
        assertEquals("rollout of shop/web (adapter 'prod') failed: progress deadline exceeded: "
                + "ReplicaSet \"web-7d9\" has timed out progressing.", f.getMessage());
        assertEquals(2, k8s.polls);
    }

    @Test
    void aRolloutThatDoesNotFinishInTimeFailsWithoutRetryAndSaysWhereItStood() {
        Scripted k8s = new Scripted();
        k8s.script.add(() -> cluster.setStatus(generation, 4, 1, 3, 3, null)); // and stays there

        long start = System.nanoTime();
        TaskFailure f = assertThrows(TaskFailure.class,
                () -> RolloutWaiter.awaitRollout(k8s, prod, verify, Duration.ofMillis(300), Duration.ofMillis(50)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertFalse(f.retryable());
        assertTrue(f.getMessage().startsWith("rollout of shop/web (adapter 'prod') not complete after PT0.3"), f.getMessage());
        assertTrue(f.getMessage().contains(": observed " + generation + "/" + generation + ", updated 1/3, available 3/3, old replicas 3"
                + " (1 of 3 new replicas have been updated)"), f.getMessage());
        assertTrue(took.compareTo(Duration.ofMillis(300)) >= 0 && took.compareTo(Duration.ofSeconds(5)) < 0, "took " + took);
        assertTrue(k8s.polls >= 3, "polled every 50 ms for 300 ms, and once more at the end: " + k8s.polls);
    }

    @Test
    void theTasksOwnDeadlineBoundsTheWait() {
        Scripted k8s = new Scripted();
        k8s.script.add(() -> cluster.setStatus(generation - 1, 3, 3, 3, 3, null));
        TaskContext shortTask = new TaskContext(22, UUID.randomUUID(), "verify", 1, null, Instant.now().plusMillis(200));

        long start = System.nanoTime();
        TaskFailure f = assertThrows(TaskFailure.class,
                () -> RolloutWaiter.awaitRollout(k8s, prod, shortTask, Duration.ofMinutes(10), Duration.ofMillis(50)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("not complete after") && f.getMessage().contains("to be observed"), f.getMessage());
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "stopped at the task's deadline, not after 10 minutes: " + took);
    }

    @Test
    void anErrorReadingTheStatusComesBackAsItIs() {
        NamedAdapter missing = MockCluster.adapter(MockCluster.NAMESPACE, "nope");
        TaskFailure f = assertThrows(TaskFailure.class, () -> RolloutWaiter.awaitRollout(
                new KubernetesAdapter(cluster.client(), new Outbound()), missing, verify, Duration.ofSeconds(30), POLL));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().startsWith("deployment shop/nope not found"), f.getMessage());
    }

    @Test
    void anAdapterWithoutARolloutStatusHasNothingToWaitFor() throws Exception {
        DeploymentAdapter command = new DeploymentAdapter() {
            @Override
            public String type() {
                return "command";
            }

            @Override
            public Observed observe(NamedAdapter adapter, TaskContext context) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Deployed converge(NamedAdapter adapter, Intent intent, TaskContext context) {
                throw new UnsupportedOperationException();
            }
        };
        assertEquals(Optional.empty(), RolloutWaiter.awaitRollout(command, prod, verify, Duration.ofSeconds(30), POLL));
    }
}

package io.cyclefleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.Priority;
import io.cyclefleet.queue.RedisConfig;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.RetryPolicy;
import io.cyclefleet.task.TaskStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Claimed tasks start in delivery order (priority, then FIFO), whatever order Postgres returns the claims in; stale
 * copies and second messages of an attempt already running here are dropped, never claimed.
 */
class FetchLoopOrderTest {

    private static final RedisConfig CONFIG = new RedisConfig() {
        public Mode mode() { return Mode.SINGLE; }
        public String address() { return "redis://unused"; }
        public Sentinel sentinel() { return null; }
        public Cluster cluster() { return null; }
        public Optional<String> username() { return Optional.empty(); }
        public Optional<String> password() { return Optional.empty(); }
        public int database() { return 0; }
        public String keyPrefix() { return "unit"; }
        public int connectionPoolSize() { return 1; }
        public int connectionMinimumIdleSize() { return 1; }
        public Duration timeout() { return Duration.ofSeconds(1); }
        public Duration connectTimeout() { return Duration.ofSeconds(1); }
        public Tls tls() { return null; }
    };

    @Test
    void runsStartInDeliveryOrder() throws Exception {
        List<Delivery> deliveries = List.of(
                new Delivery("q", Priority.HIGH, "1-1", 30, 1),
                new Delivery("q", Priority.NORMAL, "1-2", 10, 1),
                new Delivery("q", Priority.NORMAL, "1-3", 20, 1),
                new Delivery("q", Priority.LOW, "1-4", 5, 1));
        assertEquals(List.of("30@1", "10@1", "20@1", "5@1"), startedAfterOneFetch(deliveries));
    }

    @Test
    void aStaleCopyInTheSameFetchNeverDisplacesTheLiveAttempt() throws Exception {
        List<Delivery> dropped = new ArrayList<>();
        List<List<Delivery>> claims = new ArrayList<>();
        List<String> started = startedAfterFetches(List.of(List.of(
                new Delivery("q", Priority.NORMAL, "1-1", 7, 1),
                new Delivery("q", Priority.NORMAL, "1-2", 7, 2),
                new Delivery("q", Priority.NORMAL, "1-3", 7, 1))), dropped, claims);
        assertEquals(List.of("7@2"), started);
        assertEquals(List.of("7@2"), claims.stream().flatMap(List::stream).map(d -> d.taskId() + "@" + d.attempt()).toList(),
                "the stale copies were dropped before the claim, not left to the claim to refuse");
        assertEquals(List.of("1-1", "1-3"), dropped.stream().map(Delivery::messageId).sorted().toList());
    }

    @Test
    void aSecondMessageOfAnAttemptAlreadyRunningHereIsDroppedNotClaimedAgain() throws Exception {
        List<Delivery> dropped = new ArrayList<>();
        List<List<Delivery>> claims = new ArrayList<>();
        List<String> started = startedAfterFetches(List.of(
                List.of(new Delivery("q", Priority.NORMAL, "1-1", 7, 1)),
                List.of(new Delivery("q", Priority.NORMAL, "1-9", 7, 1))), dropped, claims);
        assertEquals(List.of("7@1"), started);
        assertEquals(1, claims.size(), "a claim would recognise the worker's own row and run the attempt twice");
        assertEquals(List.of("1-9"), dropped.stream().map(Delivery::messageId).toList());
    }

    private static List<String> startedAfterOneFetch(List<Delivery> deliveries) throws Exception {
        return startedAfterFetches(List.of(deliveries), new ArrayList<>(), new ArrayList<>());
    }

    /**
     * Serves the fetches in turn to a FetchLoop whose store claims like Postgres does (a task is QUEUED at the newest
     * attempt delivered; a claim of any other attempt, or of one already claimed, is refused) but returns the claims in
     * reverse order; runs never finish, so they stay in flight. Returns the start order, and records what was dropped and
     * each claim's deliveries.
     */
    private static List<String> startedAfterFetches(List<List<Delivery>> fetches, List<Delivery> dropped, List<List<Delivery>> claims)
            throws Exception {
        FetchLoop[] loop = new FetchLoop[1];
        RedisTaskQueue queue = new RedisTaskQueue(null, CONFIG) {
            private int served;

            @Override
            public List<Delivery> fetch(String q, String consumer, int max, Duration block) {
                if (served == fetches.size()) {
                    loop[0].stop();
                    return List.of();
                }
                return fetches.get(served++);
            }

            @Override
            public void drop(Collection<Delivery> d) {
                dropped.addAll(d);
            }
        };
        Map<Long, Integer> queuedAt = new HashMap<>();
        fetches.forEach(f -> f.forEach(d -> queuedAt.merge(d.taskId(), d.attempt(), Math::max)));
        TaskStore store = new TaskStore(null) {
            @Override
            public List<ClaimedTask> claim(String workerId, List<Delivery> got, Duration lease, boolean retry) {
                claims.add(got);
                List<ClaimedTask> out = new ArrayList<>();
                for (Delivery d : got) {
                    if (!queuedAt.remove(d.taskId(), d.attempt())) {
                        continue; // not QUEUED at this attempt: the real claim matches no row
                    }
                    out.add(new ClaimedTask(d.taskId(), d.attempt(), UUID.randomUUID(), "k", "noop", "{}", Duration.ofSeconds(1),
                            new RetryPolicy(1, Duration.ofSeconds(1), Duration.ofSeconds(1)), "q", d.priority(), Duration.ZERO));
                }
                Collections.reverse(out); // like an UPDATE ... RETURNING in plan order
                return out;
            }
        };
        List<String> started = Collections.synchronizedList(new ArrayList<>());
        ExecutorService single = Executors.newSingleThreadExecutor();
        loop[0] = new FetchLoop("q", "w", queue, store, new InFlight(8), 8, Duration.ofSeconds(1), Duration.ofMillis(10),
                single, run -> started.add(run.task.id() + "@" + run.task.attempt()), new WorkerMetrics(new SimpleMeterRegistry()), () -> false);
        loop[0].run();
        single.shutdown();
        single.awaitTermination(5, TimeUnit.SECONDS);
        return started;
    }
}

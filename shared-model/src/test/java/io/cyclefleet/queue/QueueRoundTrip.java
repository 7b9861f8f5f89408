package io.cyclefleet.queue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The whole queue protocol through {@link RedisTaskQueue}, asserted step by step, against whatever topology
 * the queue's client reaches: epoch marker, groups, a pipelined enqueue over several queues, fetch in priority
 * order (the script, with its count limit), a blocking fetch woken by an enqueue, acknowledgement with
 * completion notices, completions read by the orchestrators' group, orphans claimed and dropped.
 */
final class QueueRoundTrip {

    /** The port of the server that holds {@code key} (the master, in every topology). */
    interface Locator {
        int portOf(String key) throws Exception;
    }

    private QueueRoundTrip() {
    }

    static void run(RedisTaskQueue q, RedisProcesses redis, Locator where, List<String> queues) throws Exception {
        QueueKeys keys = q.keys();
        assertTrue(q.ping(), "ping");

        // Epoch marker: absent in a fresh dataset, written once, never overwritten.
        assertFalse(q.epochPresent(), "no epoch marker in a fresh dataset");
        q.markEpoch("first");
        q.markEpoch("second");
        assertTrue(q.epochPresent(), "epoch marker present once written");
        assertEquals("first", redis.cli(where.portOf(keys.epoch()), "GET", keys.epoch()), "the first epoch value stays");

        q.ensureCompletions();
        for (String queue : queues) {
            q.ensureQueue(queue);
            q.ensureQueue(queue); // BUSYGROUP is not an error
        }

        // One pipelined enqueue over every queue: ids 101.., 201.., ... in scrambled priorities.
        List<QueuedTask> tasks = new ArrayList<>();
        for (int i = 0; i < queues.size(); i++) {
            long base = (i + 1) * 100L;
            String queue = queues.get(i);
            tasks.add(new QueuedTask(base + 1, 1, queue, Priority.LOW, "noop"));
            tasks.add(new QueuedTask(base + 2, 1, queue, Priority.NORMAL, "noop"));
            tasks.add(new QueuedTask(base + 3, 1, queue, Priority.HIGH, "noop"));
            tasks.add(new QueuedTask(base + 4, 1, queue, Priority.LOW, "noop"));
            tasks.add(new QueuedTask(base + 5, 2, queue, Priority.HIGH, "noop"));
            tasks.add(new QueuedTask(base + 6, 1, queue, Priority.NORMAL, "noop"));
        }
        q.enqueue(tasks);
        assertEquals(new HashSet<>(queues), q.knownQueues(), "known queues");

        List<Delivery> delivered = new ArrayList<>();
        for (int i = 0; i < queues.size(); i++) {
            long base = (i + 1) * 100L;
            String queue = queues.get(i);
            assertEquals(6, q.depth(queue), "depth of " + queue);
            // The script honours the count, highest priority first, FIFO within a priority.
            List<Delivery> first = q.fetch(queue, "w1", 2, Duration.ofMillis(100));
            assertEquals(List.of("HIGH " + (base + 3) + "@1", "HIGH " + (base + 5) + "@2"), describe(first), queue + ": first fetch");
            List<Delivery> rest = q.fetch(queue, "w1", 10, Duration.ofMillis(100));
            assertEquals(List.of("NORMAL " + (base + 2) + "@1", "NORMAL " + (base + 6) + "@1", "LOW " + (base + 1) + "@1",
                    "LOW " + (base + 4) + "@1"), describe(rest), queue + ": second fetch");
            for (Delivery d : first) {
                assertEquals(queue, d.queue());
            }
            delivered.addAll(first);
            delivered.addAll(rest);
            assertEquals(List.of(), q.fetch(queue, "w1", 10, Duration.ofMillis(50)), queue + ": nothing new (blocking read timed out)");
        }

        // The blocking multi-stream XREADGROUP: wait until Redis really has the reader blocked, then wake it.
        String blockQueue = queues.get(0);
        int blockPort = where.portOf(keys.stream(blockQueue, Priority.HIGH));
        CompletableFuture<List<Delivery>> blocked = CompletableFuture.supplyAsync(() -> q.fetch(blockQueue, "w2", 10, Duration.ofSeconds(20)));
        await("a blocked XREADGROUP on port " + blockPort).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> blockedReaders(redis, blockPort) > 0);
        q.enqueue(List.of(new QueuedTask(107, 1, blockQueue, Priority.LOW, "noop")));
        List<Delivery> woken = blocked.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("LOW 107@1"), describe(woken), "the blocked fetch gets the new entry");
        delivered.addAll(woken);

        // Acknowledge everything (streams on every node) and publish two completion notices in one pipeline.
        UUID c1 = UUID.randomUUID();
        UUID c2 = UUID.randomUUID();
        q.acknowledge(delivered, List.of(c1, c2));
        for (String queue : queues) {
            assertEquals(0, q.depth(queue), queue + ": acknowledged entries are deleted");
            String high = keys.stream(queue, Priority.HIGH);
            assertTrue(redis.cli(where.portOf(high), "XPENDING", high, QueueKeys.WORKER_GROUP).startsWith("0"), queue + ": nothing pending");
        }
        assertEquals(List.of(c1, c2), q.readCompletions("orch-1", 10, Duration.ofMillis(100)), "completion notices");
        assertEquals(List.of(), q.readCompletions("orch-2", 10, Duration.ofMillis(50)), "notices are read once by the group");
        UUID c3 = UUID.randomUUID();
        q.publishCompletions(List.of(c3));
        assertEquals(List.of(c3), q.readCompletions("orch-2", 10, Duration.ofMillis(100)), "published notice");

        // Orphans: a worker fetches and dies; the reconciler's XAUTOCLAIM takes the entries over once idle.
        for (int i = 0; i < queues.size(); i++) {
            q.enqueue(List.of(new QueuedTask((i + 1) * 100L + 8, 3, queues.get(i), Priority.NORMAL, "noop")));
        }
        for (int i = 0; i < queues.size(); i++) {
            long id = (i + 1) * 100L + 8;
            String queue = queues.get(i);
            assertEquals(List.of("NORMAL " + id + "@3"), describe(q.fetch(queue, "w-dead", 10, Duration.ofMillis(100))));
            List<List<Delivery>> claimed = new ArrayList<>();
            await(queue + ": orphan claimed").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        claimed.add(q.claimOrphans(queue, "reconciler", Duration.ofMillis(100), 10));
                        return !claimed.get(claimed.size() - 1).isEmpty();
                    });
            List<Delivery> orphans = claimed.get(claimed.size() - 1);
            assertEquals(List.of("NORMAL " + id + "@3"), describe(orphans), queue + ": the orphan");
            String normal = keys.stream(queue, Priority.NORMAL);
            assertTrue(redis.cli(where.portOf(normal), "XPENDING", normal, QueueKeys.WORKER_GROUP, "-", "+", "10").contains("reconciler"),
                    queue + ": the reconciler owns the entry now");
            q.drop(orphans);
            assertEquals(0, q.depth(queue), queue + ": dropped");
        }
    }

    /** "PRIORITY id@attempt" of each delivery, in order. */
    static List<String> describe(List<Delivery> deliveries) {
        return deliveries.stream().map(d -> d.priority() + " " + d.taskId() + "@" + d.attempt()).toList();
    }

    /** Clients blocked in XREADGROUP on that server. */
    static long blockedReaders(RedisProcesses redis, int port) throws Exception {
        return redis.cli(port, "CLIENT", "LIST").lines()
                .filter(l -> l.contains("cmd=xreadgroup") && l.matches(".*\\bflags=[A-Za-z]*b.*")).count();
    }
}

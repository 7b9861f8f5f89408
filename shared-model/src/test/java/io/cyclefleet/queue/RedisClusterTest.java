package io.cyclefleet.queue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;

/**
 * The queue protocol on a real three-master Redis Cluster, through a client the producer built in cluster
 * mode. The queues are chosen so that their keys live on three different masters: a script or multi-key
 * command that mixed two queues (or a queue and the meta keys) would fail with CROSSSLOT here.
 */
class RedisClusterTest {

    private static RedisProcesses redis;
    private static final int[] ports = new int[3];
    private static RedissonClient client;
    /** Owner (port) of each of the 16384 slots, from CLUSTER NODES. */
    private static final int[] owner = new int[16384];

    @BeforeAll
    static void startCluster() throws Exception {
        redis = new RedisProcesses("cluster");
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        for (int i = 0; i < 3; i++) {
            int port = RedisProcesses.freePort(true);
            ports[i] = redis.start("node" + i, port, List.of(), List.of("--port", Integer.toString(port), "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes-" + port + ".conf", "--cluster-node-timeout", "2000"));
            create.add("127.0.0.1:" + port);
        }
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        String out = RedisProcesses.run(create);
        assertTrue(out.contains("All 16384 slots covered"), out);
        for (int port : ports) {
            await("cluster_state:ok on " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> redis.cli(port, "CLUSTER", "INFO").contains("cluster_state:ok"));
        }
        readSlotOwners();
        client = RedisTestSupport.client(config(RedisTestSupport.prefix()));
    }

    /** Two of the three nodes: the third is discovered. */
    private static RedisConfig config(String prefix) {
        return RedisTestSupport.config("mode", "cluster",
                "cluster.addresses", "redis://127.0.0.1:" + ports[0] + ",redis://127.0.0.1:" + ports[1],
                "key-prefix", prefix);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (client != null) {
            client.shutdown();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static void readSlotOwners() throws Exception {
        Arrays.fill(owner, -1);
        for (String line : redis.cli(ports[0], "CLUSTER", "NODES").lines().toList()) {
            String[] f = line.trim().split(" ");
            if (!f[2].contains("master")) {
                continue;
            }
            int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue;
                }
                String[] range = f[i].split("-");
                int from = Integer.parseInt(range[0]);
                int to = Integer.parseInt(range[range.length - 1]);
                for (int s = from; s <= to; s++) {
                    owner[s] = port;
                }
            }
        }
        for (int s = 0; s < owner.length; s++) {
            assertTrue(owner[s] > 0, "slot " + s + " has no master");
        }
    }

    private static int slot(String key) {
        return client.getKeys().getSlot(key);
    }

    private static int portOf(String key) {
        return owner[slot(key)];
    }

    /** A queue with a key prefix of its own, on the shared client. */
    private RedisTaskQueue queue() {
        return RedisTestSupport.queue(client, config(RedisTestSupport.prefix()));
    }

    /** Three queue names whose streams live on three different masters. */
    private static List<String> queuesOnEveryMaster(QueueKeys keys) {
        Map<Integer, String> byPort = new LinkedHashMap<>();
        for (int i = 0; i < 200 && byPort.size() < 3; i++) {
            String name = "q" + i;
            byPort.putIfAbsent(portOf(keys.stream(name, Priority.HIGH)), name);
        }
        assertEquals(3, byPort.size(), "found queues on all three masters");
        return List.copyOf(byPort.values());
    }

    @Test
    void theWholeProtocolWorksWithQueuesSpreadOverTheMasters() throws Exception {
        RedisTaskQueue q = queue();
        QueueKeys keys = q.keys();
        List<String> queues = queuesOnEveryMaster(keys);
        for (String name : queues) {
            Set<Integer> slots = new HashSet<>();
            for (Priority p : Priority.values()) {
                slots.add(slot(keys.stream(name, p)));
            }
            assertEquals(1, slots.size(), name + ": the three priority streams share one slot (hash tag {q:" + name + "})");
        }
        assertEquals(slot(keys.queues()), slot(keys.epoch()), "the meta keys share a slot");

        QueueRoundTrip.run(q, redis, RedisClusterTest::portOf, queues);

        // Where the keys really are: ask each master for the fleet's keys it holds.
        Map<Integer, Set<String>> held = new HashMap<>();
        for (int port : ports) {
            held.put(port, new TreeSet<>(redis.cli(port, "--scan", "--pattern", keys.prefix() + ":*").lines().toList()));
        }
        Set<Integer> queuePorts = new HashSet<>();
        for (String name : queues) {
            int port = portOf(keys.stream(name, Priority.HIGH));
            queuePorts.add(port);
            for (Priority p : Priority.values()) {
                assertTrue(held.get(port).contains(keys.stream(name, p)), keys.stream(name, p) + " on " + port + ": " + held);
            }
        }
        assertEquals(Set.of(ports[0], ports[1], ports[2]), queuePorts, "the queues are on three different masters");
        assertTrue(held.get(portOf(keys.epoch())).containsAll(List.of(keys.epoch(), keys.queues())), "meta keys: " + held);
        assertTrue(held.get(portOf(keys.completions())).contains(keys.completions()), "completions: " + held);
        int total = held.values().stream().mapToInt(Set::size).sum();
        assertEquals(3 * queues.size() + 3, total, "each key on exactly one master: " + held);
    }

    @Test
    void theClusterRefusesAScriptOverTwoQueuesSoTheTestAboveWouldCatchOne() {
        RedisTaskQueue q = queue();
        QueueKeys keys = q.keys();
        List<String> queues = queuesOnEveryMaster(keys);
        List<Object> twoQueues = List.of(keys.stream(queues.get(0), Priority.HIGH), keys.stream(queues.get(1), Priority.HIGH));
        RedisException e = assertThrows(RedisException.class, () -> client.getScript(StringCodec.INSTANCE).eval(
                (String) twoQueues.get(0), RScript.Mode.READ_ONLY, "return redis.call('EXISTS', KEYS[1], KEYS[2])",
                RScript.ReturnType.INTEGER, twoQueues));
        assertTrue(String.valueOf(e.getMessage()).contains("CROSSSLOT"), e.toString());
    }

    @Test
    void aFlushedClusterIsNoticedAndTheQueueRecovers() throws Exception {
        RedisTaskQueue q = queue();
        String name = queuesOnEveryMaster(q.keys()).get(2);
        q.ensureQueue(name);
        q.markEpoch("before");
        q.enqueue(List.of(new QueuedTask(1, 1, name, Priority.NORMAL, "noop")));
        for (int port : ports) {
            assertEquals("OK", redis.cli(port, "FLUSHALL"));
        }
        assertFalse(q.epochPresent(), "the reconciler's signal that Redis lost its data");
        assertEquals(List.of(), q.fetch(name, "w1", 10, Duration.ofMillis(100)), "a fetch without groups recreates them");
        assertTrue(q.knownQueues().contains(name));
        q.enqueue(List.of(new QueuedTask(2, 1, name, Priority.HIGH, "noop")));
        List<Delivery> got = q.fetch(name, "w1", 10, Duration.ofMillis(100));
        assertEquals(List.of("HIGH 2@1"), QueueRoundTrip.describe(got));
        q.drop(got);
        assertEquals(0, q.depth(name));
    }
}

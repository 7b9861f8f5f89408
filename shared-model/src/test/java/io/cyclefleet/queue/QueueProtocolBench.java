package io.cyclefleet.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.redisson.Redisson;
import org.redisson.api.BatchOptions;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.StreamMessageId;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamCreateGroupArgs;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

/**
 * Streams versus lists for the reliable-queue protocol, measured through Redisson against the local
 * Redis: enqueue N messages in pipelined batches, then fetch a batch and acknowledge it until empty.
 * Run with scripts/queue-bench. Not a unit test: it prints figures.
 *
 * <p>Lists: LPUSH, then a script that LMOVEs up to B elements into a processing list (one round trip per
 * batch, as BLMOVE moves only one), and LREM per element to acknowledge. Streams: XADD, XREADGROUP COUNT B,
 * XACK+XDEL. Both acknowledge a batch in one pipelined round trip.
 */
public final class QueueProtocolBench {

    private static final String LIST_FETCH = """
            local out = {}
            for i = 1, tonumber(ARGV[1]) do
              local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
              if not v then break end
              out[#out + 1] = v
            end
            return out
            """;

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Config config = new Config();
        config.useSingleServer().setAddress(System.getProperty("redis", "redis://127.0.0.1:6379"));
        RedissonClient redisson = Redisson.create(config);
        try {
            double[] streams = new double[runs];
            double[] lists = new double[runs];
            double[] listsLongPending = new double[runs];
            for (int r = 0; r < runs; r++) {
                streams[r] = streams(redisson, n, batch);
                lists[r] = lists(redisson, n, batch, 0);
                listsLongPending[r] = lists(redisson, n, batch, 2_000);
                System.out.printf("run %d: streams %.0f msg/s, lists %.0f msg/s, lists with 2000 in flight %.0f msg/s%n",
                        r + 1, streams[r], lists[r], listsLongPending[r]);
            }
            System.out.printf("median of %d runs, n=%d batch=%d: streams=%.0f lists=%.0f lists_2000_in_flight=%.0f msg/s; "
                            + "streams/lists=%.2f%n", runs, n, batch, median(streams), median(lists), median(listsLongPending),
                    median(streams) / median(lists));
        } finally {
            redisson.getKeys().deleteByPattern("bench:*");
            redisson.shutdown();
        }
    }

    private static double streams(RedissonClient redisson, int n, int batch) {
        String key = "bench:{s}:stream";
        redisson.getKeys().delete(key);
        RStream<String, String> stream = redisson.getStream(key, StringCodec.INSTANCE);
        stream.createGroup(StreamCreateGroupArgs.name("g").id(StreamMessageId.ALL).makeStream());
        long start = System.nanoTime();
        for (int i = 0; i < n; i += batch) {
            RBatch b = redisson.createBatch(BatchOptions.defaults());
            for (int j = i; j < Math.min(n, i + batch); j++) {
                b.getStream(key, StringCodec.INSTANCE).addAsync(StreamAddArgs.entries("t", Integer.toString(j), "a", "1"));
            }
            b.execute();
        }
        int done = 0;
        while (done < n) {
            Map<StreamMessageId, Map<String, String>> got = stream.readGroup("g", "c", StreamReadGroupArgs.neverDelivered().count(batch));
            StreamMessageId[] ids = got.keySet().toArray(StreamMessageId[]::new);
            RBatch b = redisson.createBatch(BatchOptions.defaults());
            b.getStream(key, StringCodec.INSTANCE).ackAsync("g", ids);
            b.getStream(key, StringCodec.INSTANCE).removeAsync(ids);
            b.execute();
            done += ids.length;
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double lists(RedissonClient redisson, int n, int batch, int alreadyInFlight) {
        String queue = "bench:{l}:queue";
        String processing = "bench:{l}:processing";
        redisson.getKeys().delete(queue, processing);
        if (alreadyInFlight > 0) {
            List<String> held = new ArrayList<>();
            for (int i = 0; i < alreadyInFlight; i++) {
                held.add("held-" + i);
            }
            redisson.getList(processing, StringCodec.INSTANCE).addAll(held);
        }
        long start = System.nanoTime();
        for (int i = 0; i < n; i += batch) {
            List<String> values = new ArrayList<>(batch);
            for (int j = i; j < Math.min(n, i + batch); j++) {
                values.add(j + ":1");
            }
            redisson.getDeque(queue, StringCodec.INSTANCE).addAll(values);
        }
        RScript script = redisson.getScript(StringCodec.INSTANCE);
        int done = 0;
        while (done < n) {
            List<Object> got = script.eval(queue, RScript.Mode.READ_WRITE, LIST_FETCH, RScript.ReturnType.MULTI,
                    Arrays.asList(queue, processing), Integer.toString(batch));
            RBatch b = redisson.createBatch(BatchOptions.defaults());
            for (Object v : got) {
                b.getList(processing, StringCodec.INSTANCE).removeAsync(v, 1);
            }
            b.execute();
            done += got.size();
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}

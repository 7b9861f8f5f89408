package io.cyclefleet.queue;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.jboss.logging.Logger;
import org.redisson.api.AutoClaimResult;
import org.redisson.api.BatchOptions;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RStream;
import org.redisson.api.RStreamAsync;
import org.redisson.api.RedissonClient;
import org.redisson.api.StreamConsumer;
import org.redisson.api.StreamMessageId;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMultiReadGroupArgs;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;

/**
 * The one place that knows the Redis queue protocol.
 *
 * <p>A queue is three streams (high, normal, low) read by the consumer group {@code workers}. A message
 * is only {@code t=taskId a=attempt}: the task itself lives in Postgres, which also holds the lease and
 * the fencing token, so nothing in Redis is the only copy of anything. Round trips per batch: one to
 * enqueue, one to fetch (a script reads the streams in priority order), one to acknowledge and publish
 * completion notices.
 */
@ApplicationScoped
public class RedisTaskQueue {

    private static final Logger LOG = Logger.getLogger(RedisTaskQueue.class);
    private static final Priority[] BY_PRIORITY = Priority.values();
    /** Completion notices are hints; keep the stream bounded, a lost notice only waits for the reconciler. */
    private static final int COMPLETIONS_MAX_LEN = 100_000;

    /**
     * Non-blocking XREADGROUP over a queue's streams in priority order, up to ARGV[3] entries in all. A
     * stream without its group (after a flush) is skipped and reported as the first element ("0" = all
     * groups there), so entries already read from another stream are returned, never stranded.
     */
    private static final String FETCH_SCRIPT = """
            local group, consumer, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
            local out = {'0'}
            for i = 1, #KEYS do
              if n <= 0 then break end
              local ok, r = pcall(redis.call, 'XREADGROUP', 'GROUP', group, consumer, 'COUNT', n, 'STREAMS', KEYS[i], '>')
              if not ok then
                out[1] = '1'
              elseif r then
                for _, e in ipairs(r[1][2]) do
                  local t, a = '', ''
                  local f = e[2]
                  for j = 1, #f, 2 do
                    if f[j] == 't' then t = f[j + 1] elseif f[j] == 'a' then a = f[j + 1] end
                  end
                  out[#out + 1] = tostring(i); out[#out + 1] = e[1]; out[#out + 1] = t; out[#out + 1] = a
                  n = n - 1
                end
              end
            end
            return out
            """;

    private final RedissonClient redisson;
    private final QueueKeys keys;

    public RedisTaskQueue(RedissonClient redisson, RedisConfig config) {
        this.redisson = redisson;
        this.keys = new QueueKeys(config.keyPrefix());
    }

    public QueueKeys keys() {
        return keys;
    }

    private RStream<String, String> stream(String name) {
        return redisson.getStream(name, StringCodec.INSTANCE);
    }

    /** Creates the queue's streams and group if missing. Groups start at 0 so nothing added before is skipped. */
    public void ensureQueue(String queue) {
        redisson.getSet(keys.queues(), StringCodec.INSTANCE).add(queue);
        for (Priority p : BY_PRIORITY) {
            ensureGroup(keys.stream(queue, p), QueueKeys.WORKER_GROUP);
        }
    }

    public void ensureCompletions() {
        ensureGroup(keys.completions(), QueueKeys.ORCHESTRATOR_GROUP);
    }

    /**
     * XGROUP CREATE key group 0 MKSTREAM, answering 0 instead of the BUSYGROUP error when the group exists.
     * Redisson 3.52 takes every reply starting with "BUSY" for a server busy running a script and retries it
     * after its retry delay, so the plain command cost about a second per existing stream: three per
     * ensureQueue, which workers call at start and the reconciler before every (re)send. One key: cluster-safe.
     */
    private static final String CREATE_GROUP_SCRIPT = """
            local ok, err = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
            if ok then return 1 end
            local msg = type(err) == 'table' and err.err or tostring(err)
            if string.sub(msg, 1, 9) == 'BUSYGROUP' then return 0 end
            return redis.error_reply(msg)
            """;

    private void ensureGroup(String key, String group) {
        redisson.getScript(StringCodec.INSTANCE).eval(key, RScript.Mode.READ_WRITE, CREATE_GROUP_SCRIPT,
                RScript.ReturnType.INTEGER, List.of(key), group);
    }

    /** The stream or its group is gone (FLUSHALL, restart): NOGROUP, or UNBLOCKED for a blocked reader. */
    static boolean isMissingGroup(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("NOGROUP") || m.contains("UNBLOCKED")) {
                return true;
            }
        }
        return false;
    }

    /**
     * XADDs every task in one pipelined round trip and returns the entry id each became, in order. A failed
     * batch is tried twice more at once (a reconnect, a failover); a batch that may have half-succeeded only
     * causes duplicates, which the attempt fence rejects. After that the caller leaves the tasks to the reconciler.
     */
    @Retry(maxRetries = 2, delay = 100, jitter = 50, retryOn = RedisException.class)
    public List<String> enqueue(List<QueuedTask> tasks) {
        if (tasks.isEmpty()) {
            return List.of();
        }
        RBatch batch = redisson.createBatch(BatchOptions.defaults());
        batch.getSet(keys.queues(), StringCodec.INSTANCE).addAllAsync(tasks.stream().map(QueuedTask::queue).distinct().toList());
        List<RFuture<StreamMessageId>> added = new ArrayList<>(tasks.size());
        for (QueuedTask t : tasks) {
            RStreamAsync<String, String> s = batch.getStream(keys.stream(t.queue(), t.priority()), StringCodec.INSTANCE);
            added.add(s.addAsync(StreamAddArgs.entries("t", Long.toString(t.id()), "a", Integer.toString(t.attempt()))));
        }
        batch.execute();
        return added.stream().map(f -> f.toCompletableFuture().getNow(null)).map(id -> id == null ? null : id.toString()).toList();
    }

    /**
     * Whether each task's stream entry is still on Redis (waiting, or delivered and not yet acknowledged), in one
     * pipelined round trip. A null entry (not known) counts as gone.
     */
    public List<Boolean> entriesPresent(List<QueuedTask> tasks, List<String> entries) {
        RBatch batch = redisson.createBatch(BatchOptions.defaults());
        List<RFuture<Map<StreamMessageId, Map<String, String>>>> found = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            String entry = entries.get(i);
            if (entry == null) {
                found.add(null);
                continue;
            }
            StreamMessageId id = parseId(entry);
            RStreamAsync<String, String> stream = batch.getStream(keys.stream(tasks.get(i).queue(), tasks.get(i).priority()), StringCodec.INSTANCE);
            found.add(stream.rangeAsync(id, id));
        }
        if (found.stream().anyMatch(java.util.Objects::nonNull)) {
            batch.execute();
        }
        return found.stream().map(f -> f != null && !f.toCompletableFuture().getNow(Map.of()).isEmpty()).toList();
    }

    /**
     * Fetches up to {@code max} deliveries, higher priorities first. When every stream is empty, blocks up
     * to {@code block} for new entries. A missing group (Redis restarted or flushed) is recreated.
     */
    public List<Delivery> fetch(String queue, String consumer, int max, Duration block) {
        try {
            List<Delivery> now = fetchNow(queue, consumer, max);
            return now.isEmpty() ? fetchBlocking(queue, consumer, max, block) : now;
        } catch (RedisException e) {
            if (isMissingGroup(e)) {
                LOG.warnf("queue %s has no consumer group (Redis flushed or restarted?); recreating it", queue);
                ensureQueue(queue);
                return List.of();
            }
            throw e;
        }
    }

    private List<Delivery> fetchNow(String queue, String consumer, int max) {
        List<Object> streamKeys = new ArrayList<>(BY_PRIORITY.length);
        for (Priority p : BY_PRIORITY) {
            streamKeys.add(keys.stream(queue, p));
        }
        List<Object> flat = redisson.getScript(StringCodec.INSTANCE).eval(
                (String) streamKeys.get(0), RScript.Mode.READ_WRITE, FETCH_SCRIPT, RScript.ReturnType.MULTI,
                streamKeys, QueueKeys.WORKER_GROUP, consumer, Integer.toString(max));
        if ("1".equals(flat.get(0).toString())) {
            LOG.warnf("queue %s is missing a consumer group (Redis flushed or restarted?); recreating it", queue);
            ensureQueue(queue);
        }
        List<Delivery> out = new ArrayList<>(flat.size() / 4);
        for (int i = 1; i + 3 < flat.size(); i += 4) {
            Priority p = BY_PRIORITY[Integer.parseInt(flat.get(i).toString()) - 1];
            out.add(delivery(queue, p, flat.get(i + 1).toString(), flat.get(i + 2).toString(), flat.get(i + 3).toString()));
        }
        return out;
    }

    private List<Delivery> fetchBlocking(String queue, String consumer, int max, Duration block) {
        // Blocks on all three streams; each may return up to `per` entries, so the total stays near max.
        int per = Math.max(1, (max + BY_PRIORITY.length - 1) / BY_PRIORITY.length);
        // Object first: on a read cut short (a dropped connection) Redisson hands back an empty list, not a map
        Object raw = stream(keys.stream(queue, Priority.HIGH)).readGroup(
                QueueKeys.WORKER_GROUP, consumer,
                StreamMultiReadGroupArgs.greaterThan(StreamMessageId.NEVER_DELIVERED,
                                keys.stream(queue, Priority.NORMAL), StreamMessageId.NEVER_DELIVERED,
                                keys.stream(queue, Priority.LOW), StreamMessageId.NEVER_DELIVERED)
                        .count(per).timeout(block));
        if (!(raw instanceof Map<?, ?>)) {
            return List.of();
        }
        @SuppressWarnings("unchecked")
        Map<String, Map<StreamMessageId, Map<String, String>>> read = (Map<String, Map<StreamMessageId, Map<String, String>>>) raw;
        List<Delivery> out = new ArrayList<>();
        for (Priority p : BY_PRIORITY) {
            Map<StreamMessageId, Map<String, String>> entries = read == null ? null : read.get(keys.stream(queue, p));
            if (entries != null) {
                entries.forEach((id, f) -> out.add(delivery(queue, p, id.toString(), f.get("t"), f.get("a"))));
            }
        }
        return out;
    }

    private static Delivery delivery(String queue, Priority p, String id, String task, String attempt) {
        long taskId = task == null || task.isEmpty() ? -1 : Long.parseLong(task);
        int att = attempt == null || attempt.isEmpty() ? -1 : Integer.parseInt(attempt);
        return new Delivery(queue, p, id, taskId, att);
    }

    /**
     * Acknowledges and deletes the deliveries and publishes one completion notice per cycle, in one
     * pipelined round trip. Deleting keeps each stream as long as its unfinished work, never longer.
     */
    public void acknowledge(Collection<Delivery> deliveries, Collection<UUID> completedCycles) {
        if (deliveries.isEmpty() && completedCycles.isEmpty()) {
            return;
        }
        RBatch batch = redisson.createBatch(BatchOptions.defaults());
        Map<String, List<StreamMessageId>> byStream = new LinkedHashMap<>();
        for (Delivery d : deliveries) {
            byStream.computeIfAbsent(keys.stream(d.queue(), d.priority()), k -> new ArrayList<>()).add(parseId(d.messageId()));
        }
        byStream.forEach((key, ids) -> {
            StreamMessageId[] arr = ids.toArray(StreamMessageId[]::new);
            RStreamAsync<String, String> s = batch.getStream(key, StringCodec.INSTANCE);
            s.ackAsync(QueueKeys.WORKER_GROUP, arr);
            s.removeAsync(arr);
        });
        addCompletions(batch, completedCycles);
        batch.execute();
    }

    public void publishCompletions(Collection<UUID> cycles) {
        if (cycles.isEmpty()) {
            return;
        }
        RBatch batch = redisson.createBatch(BatchOptions.defaults());
        addCompletions(batch, cycles);
        batch.execute();
    }

    private void addCompletions(RBatch batch, Collection<UUID> cycles) {
        RStreamAsync<String, String> s = batch.getStream(keys.completions(), StringCodec.INSTANCE);
        for (UUID c : cycles) {
            s.addAsync(StreamAddArgs.<String, String>entry("c", c.toString()).trimNonStrict().maxLen(COMPLETIONS_MAX_LEN).noLimit());
        }
    }

    /** Reads completion notices without acknowledgement: they are hints that the reconciler backs up. */
    public List<UUID> readCompletions(String consumer, int max, Duration block) {
        try {
            Map<StreamMessageId, Map<String, String>> read = stream(keys.completions()).readGroup(
                    QueueKeys.ORCHESTRATOR_GROUP, consumer,
                    StreamReadGroupArgs.neverDelivered().noAck().count(max).timeout(block));
            List<UUID> out = new ArrayList<>();
            if (read != null) {
                read.values().forEach(f -> {
                    String c = f.get("c");
                    if (c != null) {
                        out.add(UUID.fromString(c));
                    }
                });
            }
            return out;
        } catch (RedisException e) {
            if (isMissingGroup(e)) {
                ensureCompletions();
                return List.of();
            }
            throw e;
        }
    }

    /**
     * Takes over stream entries that no consumer acknowledged within {@code idle} (their consumer died
     * between fetching and finishing, or runs a long task whose lease Postgres holds). The caller decides
     * from Postgres what each one still means, then {@link #drop}s it.
     */
    public List<Delivery> claimOrphans(String queue, String consumer, Duration idle, int max) {
        List<Delivery> out = new ArrayList<>();
        for (Priority p : BY_PRIORITY) {
            try {
                AutoClaimResult<String, String> r = stream(keys.stream(queue, p)).autoClaim(
                        QueueKeys.WORKER_GROUP, consumer, idle.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS,
                        StreamMessageId.MIN, max);
                r.getMessages().forEach((id, f) -> out.add(delivery(queue, p, id.toString(), f.get("t"), f.get("a"))));
            } catch (RedisException e) {
                if (!isMissingGroup(e)) {
                    throw e;
                }
            }
        }
        return out;
    }

    /**
     * Removes a consumer (a drained worker) from the queue's groups, so consumers do not pile up; only
     * where it has nothing pending, since deleting a consumer also discards its pending entries.
     */
    public void removeConsumer(String queue, String consumer) {
        for (Priority p : BY_PRIORITY) {
            try {
                RStream<String, String> s = stream(keys.stream(queue, p));
                Long pending = s.getPendingInfo(QueueKeys.WORKER_GROUP).getConsumerNames().get(consumer);
                if (pending == null || pending == 0) {
                    s.removeConsumer(QueueKeys.WORKER_GROUP, consumer);
                }
            } catch (RedisException e) {
                LOG.debugf("could not remove consumer %s from %s: %s", consumer, keys.stream(queue, p), e);
            }
        }
    }

    /**
     * Removes the consumers, of every queue's streams and of the completion notices, that have nothing pending and have
     * been idle for at least {@code idle}: those of workers and orchestrators that were killed rather than drained. A
     * live consumer reads every few seconds; one with entries pending is left to the orphan sweep, which takes them
     * over first. Returns how many were removed.
     */
    public int removeIdleConsumers(Duration idle) {
        int removed = 0;
        for (String queue : knownQueues()) {
            for (Priority p : BY_PRIORITY) {
                removed += removeIdle(keys.stream(queue, p), QueueKeys.WORKER_GROUP, idle);
            }
        }
        return removed + removeIdle(keys.completions(), QueueKeys.ORCHESTRATOR_GROUP, idle);
    }

    private int removeIdle(String key, String group, Duration idle) {
        int removed = 0;
        try {
            RStream<String, String> s = stream(key);
            for (StreamConsumer c : s.listConsumers(group)) {
                if (c.getPending() == 0 && c.getIdleTime() >= idle.toMillis()) {
                    s.removeConsumer(group, c.getName());
                    removed++;
                }
            }
        } catch (RedisException e) {
            // a stream or group that is gone (deleted, Redis flushed) has no consumers to remove
            if (!isMissingGroup(e) && !String.valueOf(e.getMessage()).contains("no such key")) {
                throw e;
            }
        }
        return removed;
    }

    /** Acknowledges and deletes entries without publishing anything. */
    public void drop(Collection<Delivery> deliveries) {
        acknowledge(deliveries, List.of());
    }

    /** Entries waiting (not yet delivered) plus delivered-but-unacknowledged, per priority. */
    public long depth(String queue) {
        long total = 0;
        for (Priority p : BY_PRIORITY) {
            total += stream(keys.stream(queue, p)).size();
        }
        return total;
    }

    /** Every queue that has been used since Redis last lost its data. */
    public java.util.Set<String> knownQueues() {
        return redisson.<String>getSet(keys.queues(), StringCodec.INSTANCE).readAll();
    }

    /** True when Redis answers. */
    public boolean ping() {
        try {
            return redisson.getKeys().count() >= 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** True when this Redis dataset carries our marker; false after FLUSHALL or a restart without persistence. */
    public boolean epochPresent() {
        return redisson.getBucket(keys.epoch(), StringCodec.INSTANCE).isExists();
    }

    public void markEpoch(String value) {
        redisson.getBucket(keys.epoch(), StringCodec.INSTANCE).setIfAbsent(value);
    }

    private static StreamMessageId parseId(String id) {
        int dash = id.indexOf('-');
        return new StreamMessageId(Long.parseLong(id.substring(0, dash)), Long.parseLong(id.substring(dash + 1)));
    }
}

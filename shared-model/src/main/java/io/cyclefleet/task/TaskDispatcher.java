package io.cyclefleet.task;

import io.cyclefleet.queue.QueuedTask;
import io.cyclefleet.queue.RedisTaskQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Puts QUEUED tasks on Redis, then records that it did. A crash or Redis failure between the two leaves
 * {@code dispatched_at} null, and the reconciler sends the task again; a duplicate message is harmless
 * because claims are fenced by attempt. Every message put on Redis is counted here, in
 * {@code cyclefleet_tasks_enqueued_total}.
 */
@ApplicationScoped
public class TaskDispatcher {

    private static final Logger LOG = Logger.getLogger(TaskDispatcher.class);

    private final RedisTaskQueue queue;
    private final TaskStore store;
    private final MeterRegistry registry;

    public TaskDispatcher(RedisTaskQueue queue, TaskStore store, MeterRegistry registry) {
        this.queue = queue;
        this.store = store;
        this.registry = registry;
    }

    /**
     * Puts the tasks on Redis and records, for each, the stream entry it became. Returns true when every task
     * is on Redis; false leaves them to the reconciler.
     */
    public boolean dispatch(List<QueuedTask> tasks) {
        List<String> entries = send(tasks);
        if (entries == null) {
            return false;
        }
        try {
            store.markDispatched(tasks, entries);
        } catch (RuntimeException e) {
            // Already on Redis; at worst the reconciler sends a duplicate that the attempt fence rejects.
            LOG.warnf("sent %d task(s) but could not record it (%s)", tasks.size(), e.toString());
        }
        return true;
    }

    /**
     * Puts the tasks on Redis without recording it, for a caller that records it later ({@link TaskStore#markDispatched});
     * returns the stream entries, or null when Redis refused (the reconciler sends them after dispatch-grace).
     */
    public List<String> send(List<QueuedTask> tasks) {
        if (tasks.isEmpty()) {
            return List.of();
        }
        List<String> entries;
        try {
            entries = queue.enqueue(tasks);
        } catch (RuntimeException e) {
            LOG.warnf("could not put %d task(s) on Redis (%s); the reconciler will send them", tasks.size(), e.toString());
            return null;
        }
        count(tasks);
        return entries;
    }

    private void count(List<QueuedTask> tasks) {
        Map<List<String>, Long> byLabels = tasks.stream().collect(Collectors.groupingBy(
                t -> List.of(t.queue(), t.priority().wireName(), t.kind()), Collectors.counting()));
        byLabels.forEach((l, n) -> Counter.builder("cyclefleet_tasks_enqueued").description("task messages put on Redis")
                .tags("queue", l.get(0), "priority", l.get(1), "kind", l.get(2)).register(registry).increment(n));
    }
}

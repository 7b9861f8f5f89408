package io.cyclefleet.task;

import io.cyclefleet.queue.RedisTaskQueue;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import org.jboss.logging.Logger;

/**
 * Puts QUEUED tasks on Redis, then records that it did. A crash or Redis failure between the two leaves
 * {@code dispatched_at} null, and the reconciler sends the task again; a duplicate message is harmless
 * because claims are fenced by attempt.
 */
@ApplicationScoped
public class TaskDispatcher {

    private static final Logger LOG = Logger.getLogger(TaskDispatcher.class);

    private final RedisTaskQueue queue;
    private final TaskStore store;

    public TaskDispatcher(RedisTaskQueue queue, TaskStore store) {
        this.queue = queue;
        this.store = store;
    }

    /** Returns true when every task is on Redis; false leaves them to the reconciler. */
    public boolean dispatch(Collection<QueuedTask> tasks) {
        if (tasks.isEmpty()) {
            return true;
        }
        try {
            queue.enqueue(tasks);
        } catch (RuntimeException e) {
            LOG.warnf("could not put %d task(s) on Redis (%s); the reconciler will send them", tasks.size(), e.toString());
            return false;
        }
        try {
            store.markDispatched(tasks);
        } catch (RuntimeException e) {
            // Already on Redis; at worst the reconciler sends a duplicate that the attempt fence rejects.
            LOG.warnf("sent %d task(s) but could not record it (%s)", tasks.size(), e.toString());
        }
        return true;
    }
}

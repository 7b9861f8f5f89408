package io.cyclefleet.cycle;

import io.cyclefleet.db.Jdbc;
import io.cyclefleet.queue.QueuedTask;
import io.cyclefleet.task.TaskDispatcher;
import io.cyclefleet.task.TaskStore;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Sends what submits and the advancer queue, and records that it did a little later, in bulk: every
 * {@value #EVERY} the marks of everything sent since (tasks' {@code dispatched_at}, and new cycles ACCEPTED →
 * RUNNING) go to Postgres in one transaction. A task a worker claimed in the meantime needs no mark at all, so an
 * idle fleet writes none, and a busy one writes them in one statement instead of one transaction per submit or
 * advance. A mark lost with a crash is what the reconciler's undispatched sweep repairs (after dispatch-grace,
 * 2 s, above {@value #EVERY}): the task is sent again and the duplicate is fenced by its attempt.
 */
@ApplicationScoped
public class DispatchMarks {

    // Not shorter: Quarkus' scheduler ticks once a second and runs shorter intervals late. Nor did shorter measure
    // better: 0.2 s on a thread of its own wrote the same rows per task in five times as many statements, and a burst
    // of standard cycles was no faster (in one alternated set slower); a task claimed before its mark needs none.
    static final String EVERY = "1s";
    private static final Logger LOG = Logger.getLogger(DispatchMarks.class);

    /** Tasks put on Redis, with their stream entries; {@code starts}: the new cycle they are the first tasks of, or null. */
    private record Sent(List<QueuedTask> tasks, List<String> entries, UUID starts) {
    }

    private final ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
    private final TaskDispatcher dispatcher;
    private final DataSource ds;

    public DispatchMarks(TaskDispatcher dispatcher, DataSource ds) {
        this.dispatcher = dispatcher;
        this.ds = ds;
    }

    /** Puts the tasks on Redis now and marks them later; false when Redis refused (the reconciler sends them). */
    public boolean dispatch(List<QueuedTask> tasks) {
        return send(tasks, null);
    }

    /** Puts a new cycle's first tasks on Redis; with their marks, the cycle becomes RUNNING. */
    public void start(UUID cycle, List<QueuedTask> roots) {
        send(roots, cycle);
    }

    private boolean send(List<QueuedTask> tasks, UUID starts) {
        List<String> entries = dispatcher.send(tasks);
        if (entries == null) {
            return false;
        }
        if (!tasks.isEmpty()) {
            sent.add(new Sent(List.copyOf(tasks), entries, starts));
        }
        return true;
    }

    @Scheduled(every = EVERY, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flush() {
        List<QueuedTask> tasks = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        List<UUID> cycles = new ArrayList<>();
        for (Sent s; (s = sent.poll()) != null; ) {
            tasks.addAll(s.tasks());
            entries.addAll(s.entries());
            if (s.starts() != null) {
                cycles.add(s.starts());
            }
        }
        if (tasks.isEmpty()) {
            return;
        }
        try {
            Jdbc.inTransaction(ds, c -> {
                TaskStore.markDispatched(c, tasks, entries);
                CycleStore.markRunning(c, cycles);
                return null;
            });
        } catch (RuntimeException e) {
            // already on Redis: the undispatched sweep re-sends them (fenced duplicates) and marks their cycles RUNNING
            LOG.warnf("could not record that %d task(s) were sent (%s)", tasks.size(), e.toString());
        }
    }

    @PreDestroy
    void flushOnStop() {
        flush();
    }
}

package io.cyclefleet.cycle;

import io.cyclefleet.db.Backoff;
import io.cyclefleet.queue.RedisTaskQueue;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Advances cycles as workers report completions. Notices are hints read without acknowledgement and
 * shared among orchestrator replicas through one consumer group; a notice lost to a crash or a Redis flush
 * only waits for the reconciler's stalled-cycle sweep.
 */
@ApplicationScoped
public class CompletionListener implements Runnable {

    private static final Logger LOG = Logger.getLogger(CompletionListener.class);

    private final RedisTaskQueue queue;
    private final CycleAdvancer advancer;
    private final String consumer = "orchestrator-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    private volatile boolean stopping;
    private Thread thread;

    public CompletionListener(RedisTaskQueue queue, CycleAdvancer advancer) {
        this.queue = queue;
        this.advancer = advancer;
    }

    void onStart(@Observes StartupEvent event) {
        thread = new Thread(this, "completion-listener");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        stopping = true;
        if (thread != null) {
            thread.join(3_000);
        }
    }

    @Override
    public void run() {
        Backoff backoff = new Backoff();
        while (!stopping) {
            try {
                List<UUID> cycles = queue.readCompletions(consumer, 1000, Duration.ofSeconds(1));
                if (!cycles.isEmpty()) {
                    advancer.advance(cycles);
                }
                backoff.reset();
            } catch (RuntimeException e) {
                if (stopping) {
                    return;
                }
                LOG.warnf("completion listener: %s; retrying in %d ms", e.toString(), backoff.nextMillis());
                if (!backoff.pause()) {
                    return;
                }
            }
        }
    }
}

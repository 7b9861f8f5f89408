package io.cyclefleet.retention;

import io.cyclefleet.db.Jdbc;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.task.SingletonLock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Bounds the record: deletes what finished longer ago than {@code cyclefleet.retention.keep} in short batches, off the
 * hot path, on one orchestrator at a time. Resolved incidents go first, then the cycles nothing kept names any more,
 * with everything hanging off them (the foreign keys cascade; the timeline, which has none, is deleted with them).
 * Also removes the Redis consumers killed processes left.
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);
    static final long LOCK_KEY = 0x6379_5440L;

    private static final String INCIDENTS = """
            delete from incident where id in (
                select id from incident where status = 'resolved' and resolved_at < now() - make_interval(secs => ?)
                order by resolved_at limit ? for update skip locked)""";

    // leaf-first: a parent goes once the iterations that name it are gone; a cycle an incident names stays with it
    private static final String CYCLES = """
            with doomed as (
                select c.id from cycle c
                where c.finished_at < now() - make_interval(secs => ?)
                  and not exists (select 1 from cycle k where k.parent_id = c.id)
                  and not exists (select 1 from incident i where i.cycle_id = c.id)
                  and not exists (select 1 from incident i where i.latest_cycle_id = c.id)
                order by c.finished_at limit ? for update skip locked),
            -- the timeline has no foreign key to cascade through (V14)
            timeline as (delete from cycle_event e using doomed d where e.cycle_id = d.id)
            delete from cycle c using doomed d where c.id = d.id""";

    public record Purged(int incidents, int cycles, int consumers) {
    }

    private final DataSource ds;
    private final RedisTaskQueue queue;
    private final SingletonLock lock;
    private final RetentionConfig config;
    private final MeterRegistry registry;

    public Retention(DataSource ds, RedisTaskQueue queue, SingletonLock lock, RetentionConfig config, MeterRegistry registry) {
        this.ds = ds;
        this.queue = queue;
        this.lock = lock;
        this.config = config;
        this.registry = registry;
    }

    @Scheduled(every = "${cyclefleet.retention.every:1m}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, delayed = "10s")
    void scheduled() {
        if (!config.enabled()) {
            return;
        }
        try {
            lock.runExclusively(LOCK_KEY, this::purge);
        } catch (RuntimeException e) {
            LOG.warnf("retention purge failed: %s", e.toString());
        }
    }

    /** One run: public so that tests need not wait for the schedule. */
    public Purged purge() {
        int incidents = deleteInBatches(INCIDENTS);
        int cycles = deleteInBatches(CYCLES);
        int consumers = 0;
        try {
            consumers = queue.removeIdleConsumers(config.consumersIdleAfter());
        } catch (RuntimeException e) {
            LOG.debugf("idle Redis consumers not removed this time: %s", e.toString());
        }
        count("incidents", incidents);
        count("cycles", cycles);
        count("redis_consumers", consumers);
        if (incidents + cycles + consumers > 0) {
            LOG.infof("retention: deleted %d cycle(s) and %d resolved incident(s) older than %s, removed %d idle Redis consumer(s)",
                    cycles, incidents, config.keep(), consumers);
        }
        return new Purged(incidents, cycles, consumers);
    }

    /** Runs a batch delete, one short transaction each, until it deletes nothing more or the run's cap is reached. */
    private int deleteInBatches(String sql) {
        int total = 0;
        int n;
        do {
            int batch = Math.min(config.batch(), config.maxPerRun() - total);
            n = Jdbc.inTransaction(ds, c -> {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setDouble(1, config.keep().toMillis() / 1000.0);
                    ps.setInt(2, batch);
                    return ps.executeUpdate();
                }
            });
            total += n;
        } while (n > 0 && total < config.maxPerRun()); // not n == limit: a parent becomes deletable once its iteration went
        return total;
    }

    private void count(String what, int n) {
        Counter.builder("cyclefleet_retention_deleted").description("rows and Redis consumers the retention purge removed")
                .tag("what", what).register(registry).increment(n);
    }
}

package io.cyclefleet.incident;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.db.Jdbc;
import io.cyclefleet.task.SingletonLock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Drains the notification outbox in order (a trigger always reaches the receiver before its acknowledge),
 * on one orchestrator replica at a time. A failed delivery leaves the row pending and backs off
 * exponentially up to max-backoff; the queue behind it waits, since it goes to the same receiver.
 * Nothing here runs inside a cycle's transaction, so a failing receiver never holds up a cycle.
 * A row is marked only after the receiver answered: a crash or a database error in between leaves it pending,
 * and it is sent again as stored, byte for byte, before any later row of its incident. The receiver sees at
 * most a duplicate, which it dedups on dedup_key.
 */
@ApplicationScoped
public class Notifier {

    private static final Logger LOG = Logger.getLogger(Notifier.class);
    /** pg advisory lock key of the notifier singleton ("cfnotify"). */
    private static final long LOCK_KEY = 0x63666e6f74696679L;

    private record Pending(long id, int attempts, String body) {
    }

    private final DataSource ds;
    private final SingletonLock singleton;
    private final WebhookClient client;
    private final IncidentConfig config;
    private final ObjectMapper json;
    private final MeterRegistry registry;

    public Notifier(DataSource ds, SingletonLock singleton, WebhookClient client, IncidentConfig config, ObjectMapper json,
                    MeterRegistry registry) {
        this.ds = ds;
        this.singleton = singleton;
        this.client = client;
        this.config = config;
        this.json = json;
        this.registry = registry;
        // at zero from the start: checkConfig observes StartupEvent, so this bean is created at start
        List.of("delivered", "failed", "rejected").forEach(this::notifications);
    }

    private Counter notifications(String outcome) {
        return Counter.builder("cyclefleet_notifications")
                .description("incident notification attempts, by outcome").tag("outcome", outcome).register(registry);
    }

    @Scheduled(every = "${cyclefleet.incidents.notify.every:2s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void deliverDue() {
        Optional<String> url = config.notifications().webhookUrl();
        if (url.isEmpty()) {
            return;
        }
        try {
            singleton.runExclusively(LOCK_KEY, () -> {
                Optional<Pending> next;
                while ((next = nextDue()).isPresent() && deliver(url.get(), next.get())) {
                    // deliver until nothing is due or the receiver fails (it is likely down for the rest too)
                }
            });
        } catch (RuntimeException e) {
            LOG.warnf("notification outbox unavailable: %s", e.toString());
        }
    }

    /** The oldest due notification whose incident has no earlier one pending. */
    private Optional<Pending> nextDue() {
        return Jdbc.inTransaction(ds, c -> {
            // in order per incident (a trigger before its acknowledge); one incident's stuck row holds up no other
            try (PreparedStatement ps = c.prepareStatement("""
                    select n.id, n.attempts, n.body::text from notification n
                    where n.status = 'pending' and n.next_attempt_at <= now()
                      and not exists (select 1 from notification p where p.incident_id = n.incident_id
                                                                    and p.status = 'pending' and p.id < n.id)
                    order by n.id limit 1""");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Pending(rs.getLong(1), rs.getInt(2), rs.getString(3))) : Optional.empty();
            }
        });
    }

    /** Returns false when the receiver failed (try again later), true when it took or refused the body. */
    private boolean deliver(String url, Pending n) {
        String error = null;
        boolean rejected = false;
        try {
            client.post(url, withRoutingKey(n.body()));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            rejected = e instanceof WebhookClient.RejectedException;
            error = describe(e);
        }
        String failure = error == null || error.length() <= 1000 ? error : error.substring(0, 1000);
        String outcome = failure == null ? "delivered" : rejected ? "rejected" : "failed";
        notifications(outcome).increment();
        try {
            mark(n, outcome, failure);
        } catch (RuntimeException e) {
            // the row stays pending as it was; the incident's later rows wait behind it (nextDue)
            LOG.warnf("notification %d: outcome %s not recorded, it stays pending and is sent again: %s", n.id(), outcome, e.toString());
            return false;
        }
        if (rejected) {
            LOG.errorf("notification %d was refused by the receiver and is set aside (status rejected): %s", n.id(), failure);
        } else if (failure != null) {
            LOG.warnf("notification %d not delivered (attempt %d), will retry: %s", n.id(), n.attempts() + 1, failure);
        }
        return failure == null || rejected;
    }

    private void mark(Pending n, String outcome, String failure) {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update notification set attempts = attempts + 1, last_error = ?,
                           status = case when ? = 'failed' then status else ? end,
                           delivered_at = case when ? = 'delivered' then now() end,
                           next_attempt_at = now() + ? * interval '1 millisecond'
                    where id = ?""")) {
                ps.setString(1, failure);
                ps.setString(2, outcome);
                ps.setString(3, outcome);
                ps.setString(4, outcome);
                ps.setLong(5, backoff(n.attempts() + 1).toMillis());
                ps.setLong(6, n.id());
                return ps.executeUpdate();
            }
        });
    }

    void checkConfig(@Observes StartupEvent event) {
        if (config.notifications().webhookUrl().isPresent() && config.notifications().routingKey().isEmpty()) {
            LOG.warnf("cyclefleet.incidents.notify.webhook-url is set but routing-key is not: PagerDuty refuses events "
                    + "without one (fine for other receivers); notifications go to %s", WebhookClient.host(config.notifications().webhookUrl().get()));
        }
    }

    /** The exception and its first cause that says something (HttpClient's ConnectException says nothing itself). */
    private static String describe(Throwable e) {
        String text = e.getClass().getSimpleName();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                return text + ": " + t.getMessage();
            }
        }
        return text;
    }

    private Duration backoff(int attempts) {
        Duration max = config.notifications().maxBackoff();
        long ms = 1000L << Math.min(attempts - 1, 20);
        return ms > max.toMillis() ? max : Duration.ofMillis(ms);
    }

    /**
     * The stored text as it is, with the routing key spliced in at its start, so every send of a row is the
     * stored bytes: re-encoding it (a parse and a write) could change a number on the way (a float rounded to a
     * double, a numeric beyond a double's range).
     */
    private String withRoutingKey(String body) throws JsonProcessingException {
        if (config.notifications().routingKey().isEmpty()) {
            return body;
        }
        // body is a jsonb object's text, never empty: "{" + at least event_action and dedup_key
        return "{\"routing_key\": " + json.writeValueAsString(config.notifications().routingKey().get()) + ", " + body.substring(1);
    }
}

package io.cyclefleet.incident;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "cyclefleet.incidents")
public interface IncidentConfig {

    /** Where the runbook lives; an incident links to {@code runbook-base-url#<cause>}. */
    @WithDefault("https://github.com/cyclefleet/cyclefleet/blob/main/docs/operations.md")
    String runbookBaseUrl();

    /** How on-call reaches this orchestrator: the base of the report links sent with notifications. */
    @WithDefault("http://localhost:8080")
    String publicUrl();

    @WithName("notify")
    Notify notifications();

    interface Notify {
        /** PagerDuty Events v2-compatible receiver, e.g. https://events.pagerduty.com/v2/enqueue. Unset: no notifications. */
        Optional<String> webhookUrl();

        /** PagerDuty's integration key, added to each body at send time (never stored). */
        Optional<String> routingKey();

        /** How often the outbox is drained. */
        @WithDefault("2s")
        String every();

        /** Longest wait between two attempts at an undelivered notification. */
        @WithDefault("PT5M")
        Duration maxBackoff();
    }
}

package io.cyclefleet.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;

@ConfigMapping(prefix = "cyclefleet")
public interface OrchestratorConfig {

    Limits limits();

    Defaults defaults();

    Reconciler reconciler();

    Metrics metrics();

    Diagnostics diagnostics();

    /** Named queue per kind when a step names none, e.g. cyclefleet.routes.deployment=deploy. */
    Map<String, String> routes();

    interface Limits {
        @WithDefault("2000")
        int maxSteps();

        @WithDefault("16384")
        int maxParamsBytes();

        @WithDefault("PT24H")
        Duration maxTimeout();

        @WithDefault("PT24H")
        Duration maxBackoff();

        @WithDefault("200")
        int maxPageSize();

        @WithDefault("20")
        int maxIterations();

        @WithDefault("P7D")
        Duration maxDeadline();
    }

    interface Defaults {
        @WithDefault("3")
        int maxAttempts();

        @WithDefault("PT1S")
        Duration backoff();

        @WithDefault("PT1M")
        Duration maxBackoff();

        @WithDefault("PT5M")
        Duration timeout();

        /** Steps riskier than this wait for an operator's approval unless the spec sets its own maxAutoRisk. */
        @WithDefault("medium")
        io.cyclefleet.task.Risk maxAutoRisk();

        /** How long a rollback may take, from its start, before it counts as failed (a spec's rollbackDeadline overrides it). */
        @WithDefault("PT30M")
        Duration rollbackDeadline();

        /**
         * How many times a task may lose its worker's lease (worker killed, paused, cut off) and be redelivered without
         * spending an attempt; the next loss fails it as poison.
         */
        @WithDefault("5")
        int maxLeaseLosses();
    }

    interface Diagnostics {
        /**
         * Accept the diagnostic kind {@code hang} (a handler that ignores interruption, for hang-detection tests);
         * read by its contract, {@code DiagnosticKinds.Hang}. Off: it would let a submitter stall workers.
         */
        @WithDefault("false")
        boolean hangEnabled();
    }

    interface Metrics {
        /** How often the gauges read from Postgres (queue depth and backlog age, incidents, workers, ...) are sampled. */
        @WithDefault("10s")
        String sampleEvery();
    }

    interface Reconciler {
        /** How often the singleton loops (leases, retries, Redis repair, stalled cycles) run. */
        @WithDefault("1s")
        String every();

        /** How often the safety-net sweeps (stale dispatches, orphaned entries, stalled cycles) run. */
        @WithDefault("10s")
        String sweepEvery();

        /** A QUEUED task not known to be on Redis this long after queueing is sent (again). */
        @WithDefault("2s")
        Duration dispatchGrace();

        /**
         * A QUEUED task sent this long ago and never claimed is looked at: sent again if its stream entry is gone from
         * Redis (a lost message; duplicates are fenced), left alone while it waits in a backlog.
         */
        @WithDefault("5m")
        Duration resendAfter();

        /**
         * A pause in the reconciler's own passes at least this long (Postgres down, every orchestrator down) is a gap:
         * leases are not judged for lease-grace after it, so that workers can heartbeat first.
         */
        @WithDefault("5s")
        Duration gapAfter();

        /** How long after a gap leases are not expired: a few of the workers' heartbeats, and their result-write backoff. */
        @WithDefault("15s")
        Duration leaseGrace();

        /** A stream entry unacknowledged this long is taken over and judged from Postgres. Above the lease. */
        @WithDefault("60s")
        Duration orphanIdle();

        /** A worker silent this long is listed as gone. */
        @WithDefault("30s")
        Duration workerGoneAfter();

        /**
         * A gone worker stays listed (API, dashboard) this long, then its row is deleted: every pod start
         * registers a new worker, so without this the list grows with every scale-up for ever.
         */
        @WithDefault("24h")
        Duration goneWorkersKept();

        @WithDefault("1000")
        int batch();
    }
}

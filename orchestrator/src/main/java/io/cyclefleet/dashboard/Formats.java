package io.cyclefleet.dashboard;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the dashboard writes times and durations: UTC to the second, durations in the largest sensible unit. */
final class Formats {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'");

    private Formats() {
    }

    static String time(OffsetDateTime t) {
        return t == null ? "" : TIME.format(t.withOffsetSameInstant(ZoneOffset.UTC));
    }

    /** Between two instants; "" when either is missing. */
    static String between(OffsetDateTime from, OffsetDateTime to) {
        return from == null || to == null ? "" : duration(Duration.between(from, to));
    }

    static String duration(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format("%.1f s", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return s / 60 + " min " + s % 60 + " s";
        }
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    static String seconds(double s) {
        return duration(Duration.ofMillis(Math.round(s * 1000)));
    }
}

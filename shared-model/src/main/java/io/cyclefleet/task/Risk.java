package io.cyclefleet.task;

import java.util.Locale;
import java.util.Optional;

/** How much harm a step can do; a cycle runs steps up to its maxAutoRisk unattended. Ordered. */
public enum Risk {
    LOW, MEDIUM, HIGH;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Risk> parse(String text) {
        for (Risk r : values()) {
            if (r.wireName().equals(text)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}

package io.cyclefleet.queue;

import java.util.Locale;

/** One Redis stream per level; workers always drain a higher level before a lower one. */
public enum Priority {
    HIGH, NORMAL, LOW;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Priority fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}

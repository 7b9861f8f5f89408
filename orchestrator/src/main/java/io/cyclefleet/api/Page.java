package io.cyclefleet.api;

import java.util.List;

/** A page of results; pass {@code next} as {@code after} to get the following page (null when none). */
public record Page<T>(List<T> items, String next) {
}

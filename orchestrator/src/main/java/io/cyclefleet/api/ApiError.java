package io.cyclefleet.api;

import io.cyclefleet.task.Violations;
import java.util.List;

/** Body of every 4xx/5xx answer: what went wrong and, for invalid input, each field at fault. */
public record ApiError(String error, String message, List<Violations.Violation> violations) {

    public static ApiError of(String error, String message) {
        return new ApiError(error, message, List.of());
    }
}

package io.cyclefleet.api;

import io.cyclefleet.task.Violations;
import java.util.List;

/** A spec (or request) with problems; each violation names its field. Mapped to 400. */
public class InvalidSpecException extends RuntimeException {

    private final List<Violations.Violation> violations;

    public InvalidSpecException(List<Violations.Violation> violations) {
        super(violations.isEmpty() ? "invalid request" : violations.get(0).field() + ": " + violations.get(0).message());
        this.violations = violations;
    }

    public static InvalidSpecException of(String field, String message) {
        return new InvalidSpecException(List.of(new Violations.Violation(field, message)));
    }

    public List<Violations.Violation> violations() {
        return violations;
    }
}

package io.cyclefleet.task;

import java.util.ArrayList;
import java.util.List;

/** Collects every problem of a spec, each naming the field (JSON path) it concerns. */
public final class Violations {

    public record Violation(String field, String message) {
    }

    private final List<Violation> list = new ArrayList<>();

    public Violations add(String field, String message) {
        list.add(new Violation(field, message));
        return this;
    }

    public boolean isEmpty() {
        return list.isEmpty();
    }

    public List<Violation> list() {
        return List.copyOf(list);
    }
}

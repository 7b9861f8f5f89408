package io.cyclefleet.handler;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Finds the handler of a kind among the TaskHandler beans. */
@ApplicationScoped
public class HandlerRegistry {

    private final Map<String, TaskHandler> byKind = new HashMap<>();

    public HandlerRegistry(Instance<TaskHandler> handlers) {
        for (TaskHandler h : handlers) {
            TaskHandler previous = byKind.put(h.kind(), h);
            if (previous != null) {
                throw new IllegalStateException("two handlers for kind " + h.kind() + ": " + previous.getClass() + ", " + h.getClass());
            }
        }
    }

    public Optional<TaskHandler> forKind(String kind) {
        return Optional.ofNullable(byKind.get(kind));
    }

    public Set<String> kinds() {
        return Set.copyOf(byKind.keySet());
    }
}

package io.cyclefleet.deploy;

import io.cyclefleet.run.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/** Resolves a step's adapter name to its configuration and the implementation of its type. */
@ApplicationScoped
public class Adapters {

    public record Resolved(NamedAdapter adapter, DeploymentAdapter implementation) {
    }

    private final AdapterConfig config;
    private final Map<String, DeploymentAdapter> types = new HashMap<>();

    public Adapters(AdapterConfig config, Instance<DeploymentAdapter> implementations) {
        this.config = config;
        implementations.forEach(a -> types.put(a.type(), a));
    }

    public Resolved resolve(String name) throws TaskFailure {
        AdapterConfig.Adapter settings = config.adapters().get(name);
        if (settings == null) {
            throw new TaskFailure("adapter '" + name + "' is not configured on this worker (configured: "
                    + new TreeSet<>(config.adapters().keySet()) + ")", false);
        }
        DeploymentAdapter impl = types.get(settings.type());
        if (impl == null) {
            throw new TaskFailure("adapter '" + name + "' has type '" + settings.type() + "', which this worker does not know (known: "
                    + new TreeSet<>(types.keySet()) + ")", false);
        }
        return new Resolved(new NamedAdapter(name, settings), impl);
    }

    /** Refuses a version the adapter does not accept, before anything runs. */
    public static void checkVersion(NamedAdapter adapter, String version) throws TaskFailure {
        if (version == null || !version.matches(adapter.settings().versionPattern())) {
            throw new TaskFailure("adapter '" + adapter.name() + "' does not accept version '" + version + "' (must match "
                    + adapter.settings().versionPattern() + ")", false);
        }
    }
}

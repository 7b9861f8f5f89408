package io.cyclefleet.kinds;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.TaskKindContract;
import io.cyclefleet.task.Violations;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code deployment}: {@code {"adapter": "<name>", "version": "<version>"}}. The adapter's name refers to the
 * worker's configuration (cyclefleet.adapters.NAME), which says where and how; the worker also checks the
 * version against that adapter's pattern before anything runs.
 */
@ApplicationScoped
public class DeploymentKind implements TaskKindContract {

    public static final Pattern ADAPTER = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    public static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,255}");

    @Override
    public String kind() {
        return "deployment";
    }

    @Override
    public boolean changesTarget() {
        return true;
    }

    @Override
    public java.util.Optional<String> adapterOf(JsonNode params) {
        return params == null || !params.path("adapter").isTextual() ? java.util.Optional.empty()
                : java.util.Optional.of(params.get("adapter").asText());
    }

    @Override
    public void validateParams(JsonNode params, String path, Violations v) {
        if (params == null || params.isNull()) {
            v.add(path, "is required: {\"adapter\": \"<name>\", \"version\": \"<version>\"}");
            return;
        }
        Params.onlyKnown(params, path, v, Set.of("adapter", "version"));
        Params.text(params.get("adapter"), path + ".adapter", v, true, ADAPTER, 64);
        Params.text(params.get("version"), path + ".version", v, true, VERSION, 256);
    }
}

package io.cyclefleet.kinds;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.TaskKindContract;
import io.cyclefleet.task.Violations;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code rollback}: {@code {"of": "deploy"}} — undoes the deployment step {@code of} (default {@code deploy})
 * through the same adapter, back to the version that step recorded as the previous one.
 */
@ApplicationScoped
public class RollbackKind implements TaskKindContract {

    static final Pattern STEP = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    @Override
    public String kind() {
        return "rollback";
    }

    @Override
    public boolean changesTarget() {
        return true;
    }

    @Override
    public void validateParams(JsonNode params, String path, Violations v) {
        Params.onlyKnown(params, path, v, Set.of("of"));
        if (params != null && params.isObject()) {
            Params.text(params.get("of"), path + ".of", v, false, STEP, 64);
        }
    }
}

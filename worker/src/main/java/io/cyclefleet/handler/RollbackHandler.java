package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.deploy.Adapters;
import io.cyclefleet.deploy.Deployed;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/**
 * {@code rollback}: returns the target to the version the deployment step {@code of} (default "deploy")
 * recorded as the previous one, through the same adapter.
 */
@ApplicationScoped
public class RollbackHandler implements TaskHandler {

    private final Adapters adapters;
    private final StepResults steps;
    private final ObjectMapper json;

    public RollbackHandler(Adapters adapters, StepResults steps, ObjectMapper json) {
        this.adapters = adapters;
        this.steps = steps;
        this.json = json;
    }

    @Override
    public String kind() {
        return "rollback";
    }

    @Override
    public TaskResult handle(TaskContext context) throws Exception {
        String of = context.params().path("of").asText("deploy");
        StepResults.Step deploy = steps.of(context.cycleId(), of)
                .orElseThrow(() -> new TaskFailure("rollback: this cycle has no step '" + of + "' to undo", false));
        JsonNode recorded = deploy.result();
        if (recorded == null || !recorded.hasNonNull("adapter")) {
            throw new TaskFailure("rollback: step '" + of + "' (" + deploy.status() + ") recorded no deployment to undo"
                    + (deploy.error() == null ? "" : "; it failed with: " + deploy.error()), false);
        }
        Deployed d = json.treeToValue(recorded, Deployed.class);
        Adapters.Resolved a = adapters.resolve(d.adapter());
        Deployed back = a.implementation().rollback(a.adapter(), d, context);
        return new TaskResult(json.valueToTree(back), Map.of("rolled_back", 1.0), null);
    }
}

package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.deploy.Deployments;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/**
 * {@code rollback}: returns the target to the version that ran before the deployment step {@code of} (default
 * "deploy") first acted, as that step's intent recorded it, through the same adapter; see {@link Deployments}.
 * Succeeds without acting when the target already runs that version, or when the step never changed anything.
 */
@ApplicationScoped
public class RollbackHandler implements TaskHandler {

    private final Deployments deployments;
    private final ObjectMapper json;

    public RollbackHandler(Deployments deployments, ObjectMapper json) {
        this.deployments = deployments;
        this.json = json;
    }

    @Override
    public String kind() {
        return "rollback";
    }

    @Override
    public TaskResult handle(TaskContext context) throws Exception {
        Deployments.Rollback r = deployments.rollback(context, context.params().path("of").asText("deploy"));
        if (r.deployed() == null) {
            return new TaskResult(json.createObjectNode().put("rolledBack", false).put("note", r.nothingToUndo()),
                    Map.of("rolled_back", 0.0), null);
        }
        return new TaskResult(json.valueToTree(r.deployed()), Map.of("rolled_back", 1.0), null);
    }
}

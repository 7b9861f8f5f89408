package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.deploy.Deployed;
import io.cyclefleet.deploy.Deployments;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/**
 * {@code deployment}: moves the target to {@code version} through the named adapter, with its intent (what ran
 * before, what it deploys) recorded before anything changes; see {@link Deployments}.
 */
@ApplicationScoped
public class DeploymentHandler implements TaskHandler {

    private final Deployments deployments;
    private final ObjectMapper json;

    public DeploymentHandler(Deployments deployments, ObjectMapper json) {
        this.deployments = deployments;
        this.json = json;
    }

    @Override
    public String kind() {
        return "deployment";
    }

    @Override
    public TaskResult handle(TaskContext context) throws Exception {
        Deployed d = deployments.deploy(context, context.params().path("adapter").asText(), context.params().path("version").asText());
        return new TaskResult(json.valueToTree(d), Map.of("deployed", 1.0), null);
    }
}

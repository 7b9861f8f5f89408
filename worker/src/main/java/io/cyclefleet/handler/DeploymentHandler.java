package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.deploy.Adapters;
import io.cyclefleet.deploy.Deployed;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/** {@code deployment}: moves the target to {@code version} through the named adapter, recording what ran before. */
@ApplicationScoped
public class DeploymentHandler implements TaskHandler {

    private final Adapters adapters;
    private final ObjectMapper json;

    public DeploymentHandler(Adapters adapters, ObjectMapper json) {
        this.adapters = adapters;
        this.json = json;
    }

    @Override
    public String kind() {
        return "deployment";
    }

    @Override
    public TaskResult handle(TaskContext context) throws Exception {
        Adapters.Resolved a = adapters.resolve(context.params().path("adapter").asText());
        String version = context.params().path("version").asText();
        Adapters.checkVersion(a.adapter(), version);
        Deployed d = a.implementation().deploy(a.adapter(), version, context);
        return new TaskResult(json.valueToTree(d), Map.of("deployed", 1.0), null);
    }
}

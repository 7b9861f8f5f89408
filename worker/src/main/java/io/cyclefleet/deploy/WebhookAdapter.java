package io.cyclefleet.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.handler.TaskContext;
import io.cyclefleet.handler.TaskFailure;
import io.cyclefleet.outbound.HttpCalls;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code type=webhook}: asks a deployment system to move the target by POSTing
 * {@code {action, version, previousVersion, cycleId, step}} to the adapter's URL; a 2xx means done. The
 * receiver reports the version it replaced as {@code previousVersion} in a JSON answer, if it knows it.
 */
@ApplicationScoped
public class WebhookAdapter implements DeploymentAdapter {

    private final HttpCalls http;
    private final ObjectMapper json;

    public WebhookAdapter(HttpCalls http, ObjectMapper json) {
        this.http = http;
        this.json = json;
    }

    @Override
    public String type() {
        return "webhook";
    }

    @Override
    public Deployed deploy(NamedAdapter a, String version, TaskContext context) throws TaskFailure, InterruptedException {
        return call(a, "deploy", version, null, context);
    }

    @Override
    public Deployed rollback(NamedAdapter a, Deployed recorded, TaskContext context) throws TaskFailure, InterruptedException {
        if (recorded.previousVersion() == null) {
            throw new TaskFailure("adapter '" + a.name() + "': the deployment recorded no previous version to roll back to", false);
        }
        return call(a, "rollback", recorded.previousVersion(), recorded.version(), context);
    }

    private Deployed call(NamedAdapter a, String action, String version, String from, TaskContext context)
            throws TaskFailure, InterruptedException {
        String url = a.settings().url().orElseThrow(() -> new TaskFailure("adapter '" + a.name()
                + "' has no url configured (cyclefleet.adapters." + a.name() + ".url)", false));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("action", action);
        body.put("version", version);
        body.put("previousVersion", from);
        body.put("cycleId", context.cycleId().toString());
        body.put("step", context.key());
        HttpCalls.Reply r;
        try {
            r = http.send("POST", url, Map.of("Content-Type", "application/json"), json.writeValueAsString(body), a.settings().timeout());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (r.status() / 100 != 2) {
            throw new TaskFailure("adapter '" + a.name() + "' (" + HttpCalls.origin(url) + "): " + action + " answered HTTP " + r.status()
                    + ": " + io.cyclefleet.outbound.Commands.abbreviate(r.body()), r.status() >= 500);
        }
        String previous = from;
        try {
            previous = json.readTree(r.body()).path("previousVersion").asText(from);
        } catch (Exception ignored) {
            // a non-JSON answer is fine: the receiver just did not say
        }
        return new Deployed(a.name(), version, previous, Map.of("httpStatus", r.status()));
    }
}

package io.cyclefleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.outbound.Commands;
import io.cyclefleet.outbound.HttpCalls;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code type=webhook}: asks a deployment system to move the target by POSTing
 * {@code {action, version, previousVersion, cycleId, step, fencingToken}} to the adapter's URL; a 2xx means done.
 * The running version is read before acting from {@code current-version-url} when configured (a GET answering the
 * version as text or as JSON {@code {"version": ...}}); otherwise the receiver may report the version it replaced
 * as {@code previousVersion} in a JSON answer. A receiver should be convergent (a repeated POST for the same version
 * changes nothing) and may refuse a {@code fencingToken} lower than the highest it has applied.
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
    public Observed observe(NamedAdapter a, TaskContext context) throws TaskFailure, InterruptedException {
        if (a.settings().currentVersionUrl().isEmpty()) {
            return Observed.unknown();
        }
        String url = a.settings().currentVersionUrl().get();
        HttpCalls.Reply r = http.get(url, a.settings().timeout());
        if (r.status() / 100 != 2) {
            throw new TaskFailure("adapter '" + a.name() + "' (" + HttpCalls.origin(url) + "): reading the current version answered HTTP "
                    + r.status() + ": " + Commands.abbreviate(r.body()), r.status() >= 500);
        }
        String body = r.body().strip();
        String version = body;
        try {
            JsonNode node = json.readTree(body);
            if (node != null && node.isObject()) {
                version = node.path("version").isTextual() ? node.get("version").asText() : null;
            }
        } catch (Exception notJson) {
            // plain text: the body is the version
        }
        return Observed.version(version == null || version.isEmpty() || version.equals("none") ? null : version);
    }

    @Override
    public Deployed converge(NamedAdapter a, Intent intent, TaskContext context) throws TaskFailure, InterruptedException {
        String url = a.settings().url().orElseThrow(() -> new TaskFailure("adapter '" + a.name()
                + "' has no url configured (cyclefleet.adapters." + a.name() + ".url)", false));
        Duration left = intent.remaining();
        if (left.isNegative() || left.isZero()) {
            throw new TaskFailure("adapter '" + a.name() + "': no time left to act within its timeout of " + a.settings().timeout(), true);
        }
        String replaced = intent.observed().known() ? intent.observed().version() : intent.previousVersion();
        String action = intent.action().wireName();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("action", action);
        body.put("version", intent.toVersion());
        body.put("previousVersion", replaced);
        body.put("cycleId", context.cycleId().toString());
        body.put("step", context.key());
        body.put("fencingToken", intent.fencingToken());
        HttpCalls.Reply r;
        try {
            r = http.send("POST", url, Map.of("Content-Type", "application/json"), json.writeValueAsString(body), left);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (r.status() / 100 != 2) {
            throw new TaskFailure("adapter '" + a.name() + "' (" + HttpCalls.origin(url) + "): " + action + " answered HTTP " + r.status()
                    + ": " + Commands.abbreviate(r.body()), r.status() >= 500);
        }
        String previous = replaced;
        try {
            previous = json.readTree(r.body()).path("previousVersion").asText(replaced);
        } catch (Exception ignored) {
            // a non-JSON answer is fine: the receiver just did not say
        }
        return new Deployed(a.name(), intent.toVersion(), previous, Map.of("httpStatus", r.status(), "fencingToken", intent.fencingToken()));
    }
}

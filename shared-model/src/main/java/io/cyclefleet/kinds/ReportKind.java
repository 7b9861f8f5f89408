package io.cyclefleet.kinds;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.TaskKindContract;
import io.cyclefleet.task.Violations;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * The cycle report: the worker reads the cycle, its steps, gate evaluations and timeline from Postgres and
 * stores the report as Markdown, JSON and CSV (table {@code cycle_report}), served by
 * {@code GET /api/v1/cycles/{id}/report}. Params: {@code {"title": "<1..200 characters, one line>"}}, optional.
 */
@ApplicationScoped
public class ReportKind implements TaskKindContract {

    public static final String KIND = "report";
    public static final int MAX_TITLE = 200;

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void validateParams(JsonNode params, String path, Violations v) {
        Params.onlyKnown(params, path, v, Set.of("title"));
        JsonNode node = params == null || !params.isObject() ? null : params.get("title");
        String title = Params.text(node, path + ".title", v, false, null, MAX_TITLE);
        if (title != null && title.chars().anyMatch(Character::isISOControl)) {
            v.add(path + ".title", "must be one line without control characters");
        }
    }
}

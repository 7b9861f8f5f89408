package io.cyclefleet.deploy;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * What a deployment (or rollback) did: stored as the step's result, and read back by the rollback step.
 * {@code previousVersion} is what ran before (null when the target had none); {@code details} is
 * adapter-specific (revision numbers, command output tail, HTTP status).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Deployed(String adapter, String version, String previousVersion, Map<String, Object> details) {
}

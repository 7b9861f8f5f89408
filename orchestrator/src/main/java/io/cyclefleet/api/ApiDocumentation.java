package io.cyclefleet.api;

import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/**
 * The OpenAPI document's header (served at /q/openapi, browsable at /q/swagger-ui): every /api call needs a
 * bearer token, viewer for reads and operator for the rest (docs/api.md#access-control).
 */
@OpenAPIDefinition(
        info = @Info(title = "cyclefleet orchestrator API", version = "1",
                description = "Submit and follow improvement cycles, approve risky steps, read and acknowledge incidents. "
                        + "Specs: docs/cycles.md. Tokens: GET/HEAD need role viewer, every other method role operator."),
        security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(securitySchemeName = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An API token configured as cyclefleet.auth.tokens.<name>.sha256 (scripts/api-token makes one)")
public class ApiDocumentation extends Application {
}

package io.cyclefleet.cycle;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** The built-in cycle templates a spec can name in {@code template}. */
@Path("/api/v1/templates")
@Produces(MediaType.APPLICATION_JSON)
public class TemplateResource {

    private final CycleTemplates templates;

    public TemplateResource(CycleTemplates templates) {
        this.templates = templates;
    }

    @GET
    public List<CycleTemplates.Template> list() {
        return templates.list();
    }
}

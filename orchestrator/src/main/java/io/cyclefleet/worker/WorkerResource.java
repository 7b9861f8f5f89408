package io.cyclefleet.worker;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** Lists workers: live, draining, or gone (stopped, or silent too long). */
@Path("/api/v1/workers")
@Produces(MediaType.APPLICATION_JSON)
public class WorkerResource {

    private final WorkerQueries workers;

    public WorkerResource(WorkerQueries workers) {
        this.workers = workers;
    }

    @GET
    public List<WorkerQueries.WorkerView> list() {
        return workers.list();
    }
}

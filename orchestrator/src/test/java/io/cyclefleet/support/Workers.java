package io.cyclefleet.support;

import java.util.ArrayList;
import java.util.List;

/** The worker processes a test started, stopped (SIGKILL, if still alive) when it ends. */
public final class Workers implements AutoCloseable {

    private final List<WorkerProcess> started = new ArrayList<>();

    public WorkerProcess start(WorkerProcess.Builder builder) throws Exception {
        WorkerProcess w = builder.start();
        started.add(w);
        return w;
    }

    public WorkerProcess byId(String id) {
        return started.stream().filter(w -> w.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no worker " + id + " among " + started.stream().map(WorkerProcess::id).toList()));
    }

    @Override
    public void close() throws InterruptedException {
        for (WorkerProcess w : started) {
            w.close();
        }
        started.clear();
    }
}

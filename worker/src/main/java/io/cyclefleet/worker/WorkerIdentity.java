package io.cyclefleet.worker;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Who this worker is: its id is also its Redis consumer name and the owner recorded on its leases. */
record WorkerIdentity(String id, String hostname, long pid, List<String> queues, int concurrency) {

    static WorkerIdentity of(WorkerConfig config) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown";
        }
        long pid = ProcessHandle.current().pid();
        String id = config.id().orElse(host + "-" + pid + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff)));
        return new WorkerIdentity(id, host, pid, config.queues(), config.concurrency());
    }
}

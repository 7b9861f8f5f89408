package io.cyclefleet.queue;


/**
 * Key names of the queue protocol. Every key of one queue shares the hash tag {q:NAME}, so the fetch
 * script that reads a queue's priority streams touches one Redis Cluster slot.
 */
public record QueueKeys(String prefix) {

    public static final String WORKER_GROUP = "workers";
    public static final String ORCHESTRATOR_GROUP = "orchestrators";

    public String stream(String queue, Priority priority) {
        return prefix + ":{q:" + queue + "}:" + priority.wireName();
    }

    /** Completion notices (cycle ids) from workers to the orchestrators. Hints only: Postgres is the truth. */
    public String completions() {
        return prefix + ":{completions}";
    }

    /** The set of queue names in use, so sweeps find every stream without scanning keys. */
    public String queues() {
        return prefix + ":{meta}:queues";
    }

    /** Written once per Redis dataset; its absence means Redis lost its data and must be refilled from Postgres. */
    public String epoch() {
        return prefix + ":{meta}:epoch";
    }
}

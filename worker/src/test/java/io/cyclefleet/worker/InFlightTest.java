package io.cyclefleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.Priority;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.RetryPolicy;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class InFlightTest {

    private static TaskRun run(long id) {
        ClaimedTask t = new ClaimedTask(id, 1, UUID.randomUUID(), "k" + id, "noop", "{}", Duration.ofSeconds(1),
                new RetryPolicy(1, Duration.ofSeconds(1), Duration.ofSeconds(1)), "default", Priority.NORMAL, Duration.ZERO);
        return new TaskRun(t, new Delivery("default", Priority.NORMAL, "1-" + id, id, 1), System.nanoTime());
    }

    @Test
    void permitsBoundWhatAWorkerHoldsAndAreFreedOncePerRun() throws Exception {
        InFlight f = new InFlight(3);
        assertEquals(3, f.acquireUpTo(10, 10));
        assertEquals(0, f.acquireUpTo(1, 10), "no permit left: the fetch loop waits");
        TaskRun a = run(1);
        f.add(a);
        f.done(a);
        f.done(a);
        assertEquals(1, f.acquireUpTo(10, 10), "a run frees exactly one permit, however often it is reported done");
    }

    @Test
    void entriesBeyondThePermitsTakenAreChargedSoTheBoundHolds() throws Exception {
        InFlight f = new InFlight(2);
        assertEquals(2, f.acquireUpTo(2, 10));
        f.takeOverdraft(1); // a blocking read returned 3 entries for 2 permits
        f.release(2);
        assertEquals(1, f.acquireUpTo(5, 10), "3 held of 2, 2 released: only 1 free");
    }

    @Test
    void nulCharactersAreEscapedBeforeTheyReachPostgres() {
        assertEquals("a\\u0000b", TaskExecutor.withoutNul("a\u0000b"));
        assertEquals("plain", TaskExecutor.withoutNul("plain"));
    }

    @Test
    void aRunHandedBackBeforeItStartsNeverStarts() {
        TaskRun r = run(2);
        assertEquals(true, r.takeForHandBack());
        assertEquals(false, r.start());
        TaskRun s = run(3);
        assertEquals(true, s.start());
        assertEquals(false, s.takeForHandBack(), "a started run is not handed back as unstarted");
    }
}

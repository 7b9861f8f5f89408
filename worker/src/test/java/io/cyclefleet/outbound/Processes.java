package io.cyclefleet.outbound;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What tests read about processes from Linux' /proc, independently of the code they test. */
public final class Processes {

    private Processes() {
    }

    /** Whether the platform lets tests read process states (Linux). */
    public static boolean readable() {
        return Files.isDirectory(Path.of("/proc/self"));
    }

    /**
     * Whether process {@code pid} still runs: it exists and is not a zombie (a killed orphan stays one until PID 1 reaps
     * it, which in a container may be never; Java's isAlive() counts it alive).
     */
    public static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false; // no such process
        }
    }
}

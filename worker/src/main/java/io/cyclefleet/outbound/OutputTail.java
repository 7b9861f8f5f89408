package io.cyclefleet.outbound;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Keeps the last {@code capacity} bytes written to it: a command's output, bounded however much it prints. */
public final class OutputTail {

    private final byte[] ring;
    private long total;

    public OutputTail(int capacity) {
        this.ring = new byte[capacity];
    }

    public synchronized void write(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            ring[(int) ((total + i) % ring.length)] = b[off + i];
        }
        total += len;
    }

    /** Copies {@code in} until its end (the process and everything that inherited its output are gone). */
    public void pump(InputStream in) {
        byte[] buf = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                write(buf, 0, n);
            }
        } catch (IOException e) {
            // the stream was closed under us (the run is over): keep what arrived
        }
    }

    public synchronized long total() {
        return total;
    }

    /** The last {@code max} bytes (at most the capacity) as text, prefixed with "…" when something was cut. */
    public synchronized String last(int max) {
        int n = (int) Math.min(Math.min(max, ring.length), total);
        byte[] out = new byte[n];
        long from = total - n;
        for (int i = 0; i < n; i++) {
            out[i] = ring[(int) ((from + i) % ring.length)];
        }
        String text = new String(out, StandardCharsets.UTF_8);
        return from > 0 ? "…" + text : text;
    }
}

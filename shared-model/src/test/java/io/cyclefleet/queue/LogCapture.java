package io.cyclefleet.queue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;

/**
 * Everything logged while it is open, through the services' own logging (JBoss LogManager; Redisson's SLF4J
 * goes there too), with each category at the given level: message, parameters formatted, and the stack trace
 * with every cause's message. Tests search it for secrets.
 */
final class LogCapture implements AutoCloseable {

    private final List<String> lines = new ArrayList<>();
    private final Map<Logger, Level> saved = new LinkedHashMap<>();
    private final Logger root = Logger.getLogger("");
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            String message = r instanceof ExtLogRecord e ? e.getFormattedMessage() : r.getMessage();
            StringBuilder b = new StringBuilder().append(r.getLevel()).append(' ').append(r.getLoggerName()).append(": ").append(message);
            if (r.getThrown() != null) {
                StringWriter w = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(w));
                b.append('\n').append(w);
            }
            synchronized (lines) {
                lines.add(b.toString());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** {@code levels}: category, level, category, level, ... */
    LogCapture(Object... levels) {
        if (!(LogManager.getLogManager() instanceof org.jboss.logmanager.LogManager)) {
            throw new IllegalStateException("the JBoss LogManager is not active (java.util.logging.manager="
                    + System.getProperty("java.util.logging.manager") + "): these tests read the services' logging through it");
        }
        handler.setLevel(Level.ALL);
        for (int i = 0; i < levels.length; i += 2) {
            Logger l = Logger.getLogger((String) levels[i]);
            saved.put(l, l.getLevel());
            l.setLevel((Level) levels[i + 1]);
        }
        root.addHandler(handler);
    }

    List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** The captured lines that contain {@code text}. */
    List<String> containing(String text) {
        return lines().stream().filter(l -> l.contains(text)).toList();
    }

    @Override
    public void close() {
        root.removeHandler(handler);
        saved.forEach(Logger::setLevel);
    }
}

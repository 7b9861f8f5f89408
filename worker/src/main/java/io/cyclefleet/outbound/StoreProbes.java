package io.cyclefleet.outbound;

import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.run.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Properties;
import java.util.TreeSet;
import javax.sql.DataSource;

/** Health probes of Postgres and Redis: up (1/0) and round-trip latency, with a short timeout. */
@ApplicationScoped
public class StoreProbes {

    /** {@code up} and the round trip in ms (of the failed attempt when down); {@code error} when down. */
    public record Probe(boolean up, double latencyMs, String error) {
    }

    static final String FLEET = "fleet";
    private static final int TIMEOUT_S = 3;

    private final ProbeConfig config;
    private final DataSource ds;
    private final RedisTaskQueue queue;

    public StoreProbes(ProbeConfig config, DataSource ds, RedisTaskQueue queue) {
        this.config = config;
        this.ds = ds;
        this.queue = queue;
    }

    public Probe postgres(String name) throws TaskFailure {
        long start = System.nanoTime();
        String url = FLEET.equals(name) ? null : url(config.postgres(), name, "postgres");
        try {
            if (FLEET.equals(name)) {
                try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                    s.setQueryTimeout(TIMEOUT_S);
                    s.execute("select 1");
                }
            } else {
                Properties p = new Properties();
                p.setProperty("connectTimeout", Integer.toString(TIMEOUT_S));
                p.setProperty("socketTimeout", Integer.toString(TIMEOUT_S));
                try (Connection c = DriverManager.getConnection(url, p); Statement s = c.createStatement()) {
                    s.execute("select 1");
                }
            }
            return new Probe(true, ms(start), null);
        } catch (Exception e) {
            return new Probe(false, ms(start), "postgres " + name + ": " + redact(Outbound.describe(e), url, "postgres", name));
        }
    }

    public Probe redis(String name) throws TaskFailure {
        long start = System.nanoTime();
        if (FLEET.equals(name)) {
            boolean up = queue.ping();
            return new Probe(up, ms(start), up ? null : "redis fleet: no answer");
        }
        String url = url(config.redis(), name, "redis");
        URI u;
        try {
            u = URI.create(url);
        } catch (IllegalArgumentException e) {
            return new Probe(false, ms(start), "redis " + name + ": cyclefleet.probes.redis." + name + " is not a URL");
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort()), TIMEOUT_S * 1000);
            s.setSoTimeout(TIMEOUT_S * 1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64];
            int n = in.read(buf);
            String reply = n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII).strip();
            // +PONG, or -NOAUTH when a password is set: the server is up either way
            boolean up = reply.startsWith("+PONG") || reply.startsWith("-NOAUTH");
            return new Probe(up, ms(start), up ? null : "redis " + name + " (" + u.getHost() + "): answered '" + reply + "'");
        } catch (Exception e) {
            return new Probe(false, ms(start), "redis " + name + " (" + u.getHost() + ":" + u.getPort() + "): " + Outbound.describe(e));
        }
    }

    private static String url(java.util.Map<String, String> configured, String name, String store) throws TaskFailure {
        String url = configured.get(name);
        if (url == null) {
            TreeSet<String> known = new TreeSet<>(configured.keySet());
            known.add(FLEET);
            throw new TaskFailure(store + " probe '" + name + "' is not configured on this worker (cyclefleet.probes." + store + "."
                    + name + "); known: " + known, false);
        }
        return url;
    }

    /**
     * A probe's URL may carry a password (user:pass@host, ?password=): an error naming it says which setting
     * instead, and any other credentials in the text are masked, since it lands in logs and reports.
     */
    static String redact(String message, String url, String store, String name) {
        String m = url == null ? message : message.replace(url, "cyclefleet.probes." + store + "." + name);
        return m.replaceAll("//[^/@\\s]*@", "//***@").replaceAll("(?i)(password=)[^&\\s]*", "$1***");
    }

    private static double ms(long start) {
        return Math.round((System.nanoTime() - start) / 1e4) / 100.0;
    }
}

package io.cyclefleet.outbound;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP server on 127.0.0.1 whose answers are bodies of a given shape: endless, dripping, of an exact size.
 * It counts the requests it got, the body bytes it wrote and the responses the client walked away from (a write
 * failed because the connection was closed).
 */
final class BodyServer implements AutoCloseable {

    static final int CHUNK = 64 * 1024;
    /** Where an "endless" body stops anyway, should the client under test never close: far beyond any assertion. */
    static final long ENDLESS = 1L << 30;

    final AtomicInteger requests = new AtomicInteger();
    final AtomicLong written = new AtomicLong();
    final AtomicInteger abandoned = new AtomicInteger();
    /** The client's port of each request to /small: the same one twice means the connection was kept. */
    final List<Integer> smallFrom = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    BodyServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(pool);
        server.createContext("/endless", x -> stream(x, 0, CHUNK, 0));
        server.createContext("/drip", x -> stream(x, 0, 1, 1000));
        server.createContext("/silent", x -> {
            requests.incrementAndGet();
            try {
                Thread.sleep(Long.MAX_VALUE); // never answers; ended by close()
            } catch (InterruptedException e) {
                x.close();
            }
        });
        server.createContext("/small", x -> {
            requests.incrementAndGet();
            smallFrom.add(x.getRemoteAddress().getPort());
            byte[] echo = ("hello " + x.getRequestMethod() + " " + x.getRequestHeaders().getFirst("X-Probe") + " "
                    + new String(x.getRequestBody().readAllBytes())).getBytes();
            x.sendResponseHeaders(201, echo.length);
            x.getResponseBody().write(echo);
            x.close();
        });
        server.createContext("/moved", x -> {
            requests.incrementAndGet();
            x.getResponseHeaders().add("Location", "/small");
            x.sendResponseHeaders(302, -1);
            x.close();
        });
        // /bytes/<n> answers n bytes with a Content-Length; /chunked/<n> the same without one
        server.createContext("/bytes/", x -> sized(x, false));
        server.createContext("/chunked/", x -> sized(x, true));
        server.start();
    }

    String url(String path) {
        return origin() + path;
    }

    String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void sized(HttpExchange x, boolean chunked) throws IOException {
        long n = Long.parseLong(x.getRequestURI().getPath().replaceAll(".*/", ""));
        x.getResponseHeaders().add("Content-Type", "text/plain");
        stream(x, chunked ? 0 : n, n, CHUNK, 0);
    }

    private void stream(HttpExchange x, long contentLength, int chunk, long pauseMs) throws IOException {
        stream(x, contentLength, ENDLESS, chunk, pauseMs);
    }

    /** Writes {@code total} bytes of 'a' in chunks, flushing each, pausing between them; 0 as length means chunked. */
    private void stream(HttpExchange x, long contentLength, long total, int chunk, long pauseMs) throws IOException {
        requests.incrementAndGet();
        byte[] bytes = new byte[chunk];
        Arrays.fill(bytes, (byte) 'a');
        try (x) {
            x.sendResponseHeaders(200, contentLength);
            OutputStream body = x.getResponseBody();
            for (long left = total; left > 0; left -= chunk) {
                int n = (int) Math.min(chunk, left);
                body.write(bytes, 0, n);
                body.flush();
                written.addAndGet(n);
                if (pauseMs > 0) {
                    Thread.sleep(pauseMs); // the drip under test, not a synchronisation
                }
            }
        } catch (IOException e) {
            abandoned.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}

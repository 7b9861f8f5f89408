package io.cyclefleet.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plain TCP byte pump: accepts on one address (an ephemeral port) and joins each connection to a new one to
 * a fixed target. {@link PartitionedHost} listens on its host-side veth addresses with it, so that a process
 * in a network namespace reaches a Postgres or Redis that listens on loopback only; the server sees a
 * loopback client, as it would without the namespace. Daemon threads, two per connection; {@link #close()}
 * stops accepting and drops every connection.
 */
public final class TcpForwarder implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();

    private TcpForwarder(ServerSocket server, InetSocketAddress target) {
        this.server = server;
        this.target = target;
    }

    /** Listens on {@code listen} (port 0: ephemeral) and forwards every connection to {@code target}. */
    public static TcpForwarder start(InetAddress listen, InetSocketAddress target) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, listen);
        TcpForwarder f = new TcpForwarder(server, target);
        daemon("forward " + f.address() + " accept", f::acceptLoop).start();
        return f;
    }

    /** Where it listens. */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    public InetSocketAddress target() {
        return target;
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            open.add(client);
            Socket upstream = new Socket();
            open.add(upstream);
            try {
                upstream.connect(target, 5_000);
            } catch (IOException e) {
                closeQuietly(client, upstream);
                continue;
            }
            AtomicInteger directions = new AtomicInteger(2);
            String name = "forward " + client.getRemoteSocketAddress() + " -> " + target;
            daemon(name + " up", () -> pump(client, upstream, directions)).start();
            daemon(name + " down", () -> pump(upstream, client, directions)).start();
        }
    }

    /** Copies until end of stream, passes the half-close on; an error, or both directions done, closes both. */
    private void pump(Socket from, Socket to, AtomicInteger directions) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
            to.shutdownOutput();
            if (directions.decrementAndGet() > 0) {
                return;
            }
        } catch (IOException e) {
            // reset or closed: drop the pair
        }
        closeQuietly(from, to);
    }

    private void closeQuietly(Socket... sockets) {
        for (Socket s : sockets) {
            open.remove(s);
            try {
                s.close();
            } catch (IOException ignored) {
                // nothing left to do
            }
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        closeQuietly(open.toArray(Socket[]::new));
    }
}

package io.cyclefleet.support;

import io.cyclefleet.testing.RequiredTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A host of the test's own that can be partitioned for real: a Linux network namespace whose only way out is
 * two veth links, one to this machine's Postgres and one to its Redis, each through a {@link TcpForwarder} that
 * listens on the host end of its link (Postgres and Redis listen on loopback only, which a namespace cannot
 * reach). A worker started with {@link #worker(String)} runs inside the namespace and dials the forwarders;
 * {@link #cutPostgres()} and {@link #cutRedis()} partition it from one or both while the test JVM keeps
 * talking to both over loopback; {@link #heal()} joins it again.
 *
 * <p>Why a cut drops packets silently: it sets the <em>host</em> end of the link administratively down. The
 * namespace end keeps its address and its route (it only loses carrier; the kernel keeps routing over a
 * link without carrier unless {@code ignore_routes_with_linkdown} is set, and it is off by default), so the
 * namespace's TCP sends as before and the veth discards each frame because its peer is down: no RST, no
 * ICMP. An established connection sees nothing but missing ACKs (it retransmits for {@code tcp_retries2},
 * about 15 minutes by default); a new connect's SYNs time out. Both ends have static (PERMANENT) neighbour
 * entries: with ARP, a new connect during a cut failed with EHOSTUNREACH after 1.5 s (measured), the
 * kernel's answer when ARP gives up. Taking the namespace end down instead would remove its route
 * (ENETUNREACH at once). {@code tc netem loss 100%} would also do, with the static neighbours, but this
 * machine's kernel has no netem qdisc. {@code PartitionedHostTest} checks that held and new connections
 * hear nothing during a cut.
 *
 * <p>Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2's {@code ip}; without them {@link #create()}
 * aborts the calling test with the reason (a JUnit assumption: the test is skipped). Names: namespace
 * {@code cfns-<pid>-<id>}, host ends {@code cf<id>hp} (Postgres) and {@code cf<id>hr} (Redis), subnets
 * 10.231.X.Y/30 (Postgres) and 10.232.X.Y/30 (Redis), host end .Y+1, namespace end .Y+2; the namespace has
 * no other route, so nothing in it can reach any address but those two. A namespace whose creating JVM is
 * gone (a crashed run) is deleted by the next {@link #create()}, as is any host end of a link without its
 * namespace; another live run's are left alone.
 */
public final class PartitionedHost implements AutoCloseable {

    private static final Pattern NAMESPACE = Pattern.compile("cfns-(\\d+)-([0-9a-f]{6})");
    private static final Pattern HOST_END = Pattern.compile("cf([0-9a-f]{6})h[pr]");
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(20);

    /** One veth pair: host end (with the forwarder) and namespace end, with fixed MACs for static neighbours. */
    private record Link(String hostEnd, String nsEnd, String hostIp, String nsIp, String hostMac, String nsMac) {
    }

    private final String name;
    private final List<Link> links = new ArrayList<>();
    private final List<TcpForwarder> forwarders = new ArrayList<>();
    private Link postgresLink;
    private Link redisLink;
    private TcpForwarder postgres;
    private TcpForwarder redis;
    private String jdbcUrl;
    private String redisAddress;

    private PartitionedHost(String name) {
        this.name = name;
    }

    /** Why this machine cannot make one (not Linux, not root, no {@code ip}), or empty when it can. */
    public static Optional<String> unavailable() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return Optional.of("network namespaces need Linux, this is " + System.getProperty("os.name"));
        }
        try {
            Exec v = exec(List.of("ip", "-V"), Duration.ofSeconds(10));
            if (v.exit() != 0) {
                return Optional.of("`ip -V` failed (" + v.output().strip() + "): iproute2 is needed");
            }
        } catch (UncheckedIOException e) {
            return Optional.of("iproute2's `ip` is not on PATH (Debian package iproute2)");
        }
        long uid = uid();
        if (uid != 0) {
            return Optional.of("not root (uid " + uid + "): network namespaces and veth links need root");
        }
        return Optional.empty();
    }

    /**
     * Makes the namespace, its two links and their forwarders (to the run's Postgres, {@link Db#URL}, and
     * Redis, {@link WorkerProcess#REDIS_ADDRESS}), after deleting those left by crashed runs. Aborts the
     * calling test (skipped, with the reason) where {@link #unavailable()} says so or the kernel refuses.
     */
    public static PartitionedHost create() throws IOException {
        Optional<String> why = unavailable();
        RequiredTools.require(why.isEmpty(), () -> "no network namespace for a partition test: " + why.get());
        deleteLeftovers();
        String id = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
        PartitionedHost host = new PartitionedHost("cfns-" + ProcessHandle.current().pid() + "-" + id);
        Exec add = exec(List.of("ip", "netns", "add", host.name), IP_TIMEOUT);
        if (add.exit() != 0 && add.output().contains("Operation not permitted")) {
            RequiredTools.missing("no network namespace for a partition test: `ip netns add` says " + add.output().strip());
        }
        check(add, "ip netns add " + host.name);
        try {
            host.build(id);
            return host;
        } catch (IOException | RuntimeException e) {
            try {
                host.close();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void build(String id) throws IOException {
        ip("-n", name, "link", "set", "lo", "up");
        int[] subnet = freeSubnet();
        postgresLink = link(id, "p", "10.231", subnet, 1);
        redisLink = link(id, "r", "10.232", subnet, 3);

        URI db = URI.create(Db.URL.substring("jdbc:".length()));
        postgres = forward(postgresLink, db.getHost(), db.getPort() < 0 ? 5432 : db.getPort());
        jdbcUrl = "jdbc:" + db.getScheme() + "://" + hostPort(postgres) + db.getRawPath()
                + (db.getRawQuery() == null ? "" : "?" + db.getRawQuery());

        URI r = URI.create(WorkerProcess.REDIS_ADDRESS);
        redis = forward(redisLink, r.getHost(), r.getPort() < 0 ? 6379 : r.getPort());
        redisAddress = r.getScheme() + "://" + hostPort(redis);
    }

    private Link link(String id, String kind, String net, int[] subnet, int macBase) {
        String base = net + "." + subnet[0] + ".";
        String mac = "02:cf:" + id.substring(0, 2) + ":" + id.substring(2, 4) + ":" + id.substring(4, 6) + ":";
        Link l = new Link("cf" + id + "h" + kind, "cf" + id + "n" + kind, base + (subnet[1] + 1),
                base + (subnet[1] + 2), mac + "0" + macBase, mac + "0" + (macBase + 1));
        ip("link", "add", l.hostEnd, "address", l.hostMac, "type", "veth",
                "peer", "name", l.nsEnd, "address", l.nsMac, "netns", name);
        links.add(l);
        ip("addr", "add", l.hostIp + "/30", "dev", l.hostEnd);
        ip("-n", name, "addr", "add", l.nsIp + "/30", "dev", l.nsEnd);
        ip("link", "set", l.hostEnd, "up");
        ip("-n", name, "link", "set", l.nsEnd, "up");
        ip("-n", name, "neigh", "replace", l.hostIp, "lladdr", l.hostMac, "dev", l.nsEnd, "nud", "permanent");
        hostNeighbour(l);
        return l;
    }

    /** The host end's static entry for the namespace end; an admin down flushes it, so a heal sets it again. */
    private void hostNeighbour(Link l) {
        ip("neigh", "replace", l.nsIp, "lladdr", l.nsMac, "dev", l.hostEnd, "nud", "permanent");
    }

    private TcpForwarder forward(Link l, String targetHost, int targetPort) throws IOException {
        TcpForwarder f = TcpForwarder.start(InetAddress.getByName(l.hostIp),
                new InetSocketAddress(targetHost, targetPort));
        forwarders.add(f);
        return f;
    }

    private static String hostPort(TcpForwarder f) {
        return f.address().getAddress().getHostAddress() + ":" + f.address().getPort();
    }

    /** X and Y of 10.231.X.Y/30 and 10.232.X.Y/30, neither of which any interface of this machine uses yet. */
    private static int[] freeSubnet() {
        String used = check(exec(List.of("ip", "-o", "-4", "addr", "show"), IP_TIMEOUT), "ip addr show").output();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 50; attempt++) {
            int x = random.nextInt(256);
            int y = 4 * random.nextInt(64);
            String tail = "." + x + "." + (y + 1) + "/";
            if (!used.contains(" 10.231" + tail) && !used.contains(" 10.232" + tail)) {
                return new int[] {x, y};
            }
        }
        throw new IllegalStateException("no free 10.231.X.Y/30 among 50 tries: " + used);
    }

    /**
     * Deletes what crashed runs left: namespaces {@code cfns-<pid>-<id>} whose pid is no live process (with
     * their links), and host ends {@code cf<id>h?} whose namespace is gone. Links are listed before namespaces
     * so that a run creating its own at the same moment (namespace first, then links) is never mistaken.
     */
    private static void deleteLeftovers() {
        List<String> hostEnds = check(exec(List.of("ip", "-o", "link", "show"), IP_TIMEOUT), "ip link show")
                .output().lines()
                .map(line -> line.split(":\\s*", 3))
                .filter(f -> f.length > 1)
                .map(f -> f[1].split("@")[0])
                .filter(n -> HOST_END.matcher(n).matches())
                .toList();
        Set<String> liveIds = new HashSet<>();
        for (String ns : namespaces()) {
            Matcher m = NAMESPACE.matcher(ns);
            if (!m.matches()) {
                continue;
            }
            boolean ownerAlive = ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false);
            if (ownerAlive) {
                liveIds.add(m.group(2));
            } else {
                exec(List.of("ip", "netns", "del", ns), IP_TIMEOUT);
            }
        }
        for (String end : hostEnds) {
            Matcher m = HOST_END.matcher(end);
            if (m.matches() && !liveIds.contains(m.group(1))) {
                exec(List.of("ip", "link", "del", end), IP_TIMEOUT); // also removes its peer; may be gone already
            }
        }
    }

    private static List<String> namespaces() {
        return check(exec(List.of("ip", "netns", "list"), IP_TIMEOUT), "ip netns list").output().lines()
                .map(line -> line.split("\\s+")[0])
                .filter(n -> !n.isEmpty())
                .toList();
    }

    /** The namespace's name. */
    public String name() {
        return name;
    }

    /** Words that run a command inside the namespace ({@code ip netns exec NAME}); it execs, so pids stay. */
    public List<String> commandPrefix() {
        return List.of("ip", "netns", "exec", name);
    }

    /** {@code cmd} with {@link #commandPrefix()} before it, for a ProcessBuilder. */
    public List<String> command(String... cmd) {
        return Stream.concat(commandPrefix().stream(), Stream.of(cmd)).toList();
    }

    /**
     * A worker to be started inside the namespace, reaching the run's Postgres and Redis through the forwarders
     * only (the builder's other defaults unchanged).
     */
    public WorkerProcess.Builder worker(String id) {
        return WorkerProcess.builder(id).prefix(commandPrefix())
                .with("quarkus.datasource.jdbc.url", jdbcUrl)
                .with("cyclefleet.redis.address", redisAddress);
    }

    /** The run's JDBC URL with host and port of the Postgres forwarder, as seen from inside the namespace. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** redis://host:port of the Redis forwarder, as seen from inside the namespace. */
    public String redisAddress() {
        return redisAddress;
    }

    /** The forwarder to Postgres: its {@link TcpForwarder#address()} is reachable from inside the namespace. */
    public TcpForwarder postgres() {
        return postgres;
    }

    /** The forwarder to Redis: its {@link TcpForwarder#address()} is reachable from inside the namespace. */
    public TcpForwarder redis() {
        return redis;
    }

    /** Pids of the processes inside the namespace. */
    public Set<Long> pids() {
        return check(exec(List.of("ip", "netns", "pids", name), IP_TIMEOUT), "ip netns pids " + name).output()
                .lines().map(String::strip).filter(s -> !s.isEmpty()).map(Long::valueOf).collect(Collectors.toSet());
    }

    /** Runs {@code cmd} inside the namespace, killed at {@code timeout} (then {@link Exec#timedOut()}). */
    public Exec exec(Duration timeout, String... cmd) {
        return exec(command(cmd), timeout);
    }

    /**
     * Partitions the namespace from Postgres: from now on every packet on that link is dropped without a word
     * to either side (see the class comment); Redis and the test JVM's own connections are untouched.
     */
    public void cutPostgres() {
        ip("link", "set", postgresLink.hostEnd, "down");
    }

    /** As {@link #cutPostgres()}, for Redis. */
    public void cutRedis() {
        ip("link", "set", redisLink.hostEnd, "down");
    }

    /** Brings both links up again; connections that outlived the cut carry on once TCP retransmits. */
    public void heal() {
        for (Link l : links) {
            ip("link", "set", l.hostEnd, "up");
            hostNeighbour(l);
        }
    }

    /** Stops the forwarders and deletes the links and the namespace (stop the processes inside first). */
    @Override
    public void close() {
        forwarders.forEach(TcpForwarder::close);
        List<String> failures = new ArrayList<>();
        // deleting the host end removes the pair at once; a deleted namespace lives on while anything holds it
        for (Link l : links) {
            Exec del = exec(List.of("ip", "link", "del", l.hostEnd), IP_TIMEOUT);
            if (del.exit() != 0) {
                failures.add("ip link del " + l.hostEnd + ": " + del.output().strip());
            }
        }
        Exec del = exec(List.of("ip", "netns", "del", name), IP_TIMEOUT);
        if (del.exit() != 0) {
            failures.add("ip netns del " + name + ": " + del.output().strip());
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("partitioned host " + name + " not fully removed: " + failures);
        }
    }

    /** What a command did: exit code (-1 when killed at its timeout), stdout and stderr together, how long. */
    public record Exec(int exit, String output, boolean timedOut, Duration took) {
    }

    private void ip(String... args) {
        List<String> cmd = Stream.concat(Stream.of("ip"), Stream.of(args)).toList();
        check(exec(cmd, IP_TIMEOUT), String.join(" ", cmd));
    }

    private static Exec check(Exec e, String what) {
        if (e.exit() != 0) {
            throw new IllegalStateException(what + " failed (exit " + e.exit() + "): " + e.output().strip());
        }
        return e;
    }

    private static Exec exec(List<String> cmd, Duration timeout) {
        long start = System.nanoTime();
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "(output unreadable: " + e + ")";
                }
            });
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            return new Exec(done ? p.exitValue() : -1, out.join(), !done, took);
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", cmd) + " could not start", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", cmd) + " interrupted", e);
        }
    }

    private static long uid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .map(l -> Long.parseLong(l.split("\\s+")[1]))
                    .findFirst().orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }
}

package io.cyclefleet.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.testing.RequiredTools;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * TLS only (no plaintext port): a throwaway CA made with openssl signs two server certificates and a client
 * certificate. Server "ip" names 127.0.0.1 and lets any client in; server "mtls" names only a DNS name and
 * requires a client certificate. The client connects with rediss:// and a truststore (and a keystore).
 */
class RedisTlsTest {

    private static final String TRUST_PASSWORD = "trust-pw-6d21c0";
    private static final String KEY_PASSWORD = "key-pw-93ab7e";
    private static RedisProcesses redis;
    private static Path dir;
    private static Path truststore;
    private static Path keystore;
    private static int ipPort;
    private static int mtlsPort;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisProcesses("tls");
        dir = redis.dir();
        String version = RedisProcesses.run(List.of("redis-server", "--version"));
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
                "-subj", "/CN=cyclefleet test CA");
        certificate("ip", "subjectAltName=IP:127.0.0.1", "serverAuth");
        certificate("dns", "subjectAltName=DNS:redis.cyclefleet.test", "serverAuth");
        certificate("client", "subjectAltName=DNS:fleet-client", "clientAuth");
        openssl("pkcs12", "-export", "-in", "client.crt", "-inkey", "client.key", "-name", "client", "-out", "client.p12",
                "-passout", "pass:" + KEY_PASSWORD);
        keystore = dir.resolve("client.p12");
        truststore = dir.resolve("trust.p12");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve("ca.crt"))) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        try (OutputStream out = Files.newOutputStream(truststore)) {
            trust.store(out, TRUST_PASSWORD.toCharArray());
        }

        ipPort = RedisProcesses.freePort(false);
        mtlsPort = RedisProcesses.freePort(false);
        try {
            startTls("ip", ipPort, "no", List.of());
        } catch (IllegalStateException e) {
            // A redis-server built without TLS refuses the tls-* options and exits: say so, do not pass silently.
            RequiredTools.missing("this redis-server (" + version + ") cannot serve TLS: " + e.getMessage());
        }
        startTls("mtls", mtlsPort, "yes", List.of("--cert", dir.resolve("client.crt").toString(), "--key", dir.resolve("client.key").toString()));
    }

    private static void startTls(String name, int port, String authClients, List<String> clientCert) throws Exception {
        String cert = name.equals("ip") ? "ip" : "dns";
        List<String> cli = new ArrayList<>(List.of("--tls", "--cacert", dir.resolve("ca.crt").toString(), "--sni", "redis.cyclefleet.test"));
        cli.addAll(clientCert);
        List<String> args = new ArrayList<>(List.of("--port", "0", "--tls-port", Integer.toString(port),
                "--tls-cert-file", dir.resolve(cert + ".crt").toString(), "--tls-key-file", dir.resolve(cert + ".key").toString(),
                "--tls-ca-cert-file", dir.resolve("ca.crt").toString(), "--tls-auth-clients", authClients));
        if (authClients.equals("yes")) {
            // TLS 1.2 refuses a client without a certificate inside the handshake. With TLS 1.3 the client finishes
            // its side first and only sees its first command time out (about 8 s of Redisson's retries here).
            args.addAll(List.of("--tls-protocols", "TLSv1.2"));
        }
        redis.start(name, port, cli, args);
    }

    private static void certificate(String name, String san, String usage) throws Exception {
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name);
        Files.writeString(dir.resolve(name + ".ext"), san + "\nextendedKeyUsage=" + usage + "\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".crt",
                "-days", "1", "-extfile", name + ".ext");
    }

    private static void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    @AfterAll
    static void stop() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    private static RedisConfig config(int port, String... more) {
        List<String> kv = new ArrayList<>(List.of("address", "rediss://127.0.0.1:" + port, "connect-timeout", "1s", "timeout", "1s",
                "key-prefix", RedisTestSupport.prefix()));
        kv.addAll(List.of(more));
        return RedisTestSupport.config(kv.toArray(String[]::new));
    }

    @Test
    void theProtocolOverTlsWithATruststore() throws Exception {
        RedisConfig config = config(ipPort, "tls.truststore", truststore.toString(), "tls.truststore-password", TRUST_PASSWORD);
        try (LogCapture logs = new LogCapture("io.cyclefleet", Level.ALL, "org.redisson", org.jboss.logmanager.Level.DEBUG)) {
            RedissonClient client = RedisTestSupport.client(config);
            try {
                QueueRoundTrip.run(RedisTestSupport.queue(client, config), redis, key -> ipPort, List.of("alpha"));
            } finally {
                client.shutdown();
            }
            assertEquals(1, logs.containing("truststore " + truststore + ", TLS verification strict").size(), "the startup line");
            assertEquals(List.of(), logs.containing(TRUST_PASSWORD));
        }
    }

    @Test
    void withoutTheTruststoreTheServerIsNotTrusted() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> RedisTestSupport.client(config(ipPort)).shutdown());
        assertTrue(trace(e).contains("PKIX path building failed"), trace(e));
    }

    @Test
    void strictVerificationRefusesACertificateThatDoesNotNameTheHost() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> RedisTestSupport.client(config(mtlsPort,
                "tls.truststore", truststore.toString(), "tls.truststore-password", TRUST_PASSWORD,
                "tls.keystore", keystore.toString(), "tls.keystore-password", KEY_PASSWORD)).shutdown());
        assertTrue(trace(e).contains("No subject alternative names matching IP address 127.0.0.1"), trace(e));
    }

    @Test
    void aClientCertificateFromTheKeystoreWithCaOnlyVerification() throws Exception {
        RedisConfig config = config(mtlsPort, "tls.truststore", truststore.toString(), "tls.truststore-password", TRUST_PASSWORD,
                "tls.keystore", keystore.toString(), "tls.keystore-password", KEY_PASSWORD, "tls.verification", "ca-only");
        try (LogCapture logs = new LogCapture("io.cyclefleet", Level.ALL, "org.redisson", org.jboss.logmanager.Level.DEBUG)) {
            RedissonClient client = RedisTestSupport.client(config);
            try {
                RedisTaskQueue q = RedisTestSupport.queue(client, config);
                assertTrue(q.ping());
                q.markEpoch("tls");
                assertEquals("tls", redis.cli(mtlsPort, "GET", q.keys().epoch()));
            } finally {
                client.shutdown();
            }
            assertEquals(List.of(), logs.containing(KEY_PASSWORD));
            assertEquals(List.of(), logs.containing(TRUST_PASSWORD));
        }
    }

    @Test
    void withoutAClientCertificateTheMutualTlsServerRefuses() throws Exception {
        long before = refusedForNoCertificate();
        assertThrows(RuntimeException.class, () -> RedisTestSupport.client(config(mtlsPort,
                "tls.truststore", truststore.toString(), "tls.truststore-password", TRUST_PASSWORD, "tls.verification", "ca-only"))
                .shutdown());
        // The client sees a handshake alert (or with TLS 1.3 a timeout); the server says why.
        assertTrue(refusedForNoCertificate() > before, "the server refused a client without a certificate");
    }

    private static long refusedForNoCertificate() throws Exception {
        return Files.readAllLines(dir.resolve("mtls.log")).stream().filter(l -> l.contains("peer did not return a certificate")).count();
    }

    private static String trace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}

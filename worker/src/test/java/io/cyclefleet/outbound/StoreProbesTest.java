package io.cyclefleet.outbound;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A probe's URL may carry credentials; what a failed probe says (logs, task results, reports) never does. */
public class StoreProbesTest {

    /** Probes of these configured stores (the worker's own, "fleet", is not wired: null data source and queue). */
    public static StoreProbes probes(Map<String, String> postgres, Map<String, String> redis) {
        return new StoreProbes(new ProbeConfig() {
            @Override
            public Map<String, String> postgres() {
                return postgres;
            }

            @Override
            public Map<String, String> redis() {
                return redis;
            }
        }, null, null);
    }

    @Test
    void aPostgresUrlTheDriverRefusesIsNamedByItsSettingNotQuoted() throws Exception {
        String url = "postgres://admin:s3cret-pg@db.internal:5432/app?password=s3cret-pg";
        StoreProbes.Probe p = probes(Map.of("orders", url), Map.of()).postgres("orders");
        assertFalse(p.up());
        assertFalse(p.error().contains("s3cret-pg"), p.error());
        assertTrue(p.error().contains("cyclefleet.probes.postgres.orders"), p.error());
    }

    @Test
    void anUnreachablePostgresWithAPasswordParameterDoesNotEchoIt() throws Exception {
        StoreProbes.Probe p = probes(Map.of("down", "jdbc:postgresql://127.0.0.1:1/x?user=u&password=s3cret-pg"), Map.of())
                .postgres("down");
        assertFalse(p.up());
        assertFalse(p.error().contains("s3cret-pg"), p.error());
    }

    @Test
    void aMalformedRedisUrlFailsTheProbeWithoutQuotingIt() throws Exception {
        StoreProbes.Probe p = probes(Map.of(), Map.of("cache", "redis://:s3cret redis@cache host:6379")).redis("cache");
        assertFalse(p.up());
        assertFalse(p.error().contains("s3cret"), p.error());
        assertTrue(p.error().contains("cyclefleet.probes.redis.cache"), p.error());
    }

    @Test
    void credentialsInAnyMessageAreMasked() {
        String m = StoreProbes.redact("failed at redis://user:pw@h:1 and jdbc:x://u:p@h/db?password=pw&ssl=true", null, "redis", "x");
        assertFalse(m.contains("pw") || m.contains("u:p"), m);
        assertTrue(m.contains("//***@h:1") && m.contains("password=***&ssl=true"), m);
    }
}

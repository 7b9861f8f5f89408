package io.cyclefleet.outbound;

import io.smallrye.config.ConfigMapping;
import java.util.Map;

/**
 * Stores an assessment may health-probe, by name: {@code cyclefleet.probes.postgres.<name>=jdbc:postgresql://…}
 * and {@code cyclefleet.probes.redis.<name>=redis://host:port}. The name {@code fleet} always means the
 * worker's own Postgres and Redis. Credentials stay in worker configuration, never in a spec.
 */
@ConfigMapping(prefix = "cyclefleet.probes")
public interface ProbeConfig {

    Map<String, String> postgres();

    Map<String, String> redis();
}

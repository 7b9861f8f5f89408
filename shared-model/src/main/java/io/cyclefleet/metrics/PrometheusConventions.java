package io.cyclefleet.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Keeps both services' /q/metrics clean for {@code promtool check metrics}, including the meters that Quarkus,
 * Vert.x, Netty and Micrometer's JVM binders register:
 * <ul>
 * <li>HELP text must not contain a double quote: the client escapes it as {@code \"}, which the text format
 *     does not allow there, and Prometheus' parser then rejects the whole page ("cpu time" in a JVM meter);</li>
 * <li>every meter gets HELP text (several framework meters have none);</li>
 * <li>names and label names are snake_case (SmallRye Fault Tolerance's {@code ft.timeout.executionDuration} and
 *     {@code retryResult} become {@code ft_timeout_execution_duration} and {@code retry_result});</li>
 * <li>{@code system_cpu_count} is a gauge that reads like a histogram's count: it becomes {@code system_cpu_processors};</li>
 * <li>{@code process_cpu_time_ns_total} counts in an abbreviated unit: dropped, {@code process_cpu_usage} remains;</li>
 * <li>long task timers (Vert.x's {@code http_server_connections_seconds}) are written as a summary whose samples
 *     ({@code _active_count}, {@code _duration_sum}) belong to no family a parser can see: dropped. We use none.</li>
 * </ul>
 */
@Singleton
public class PrometheusConventions {

    @Produces
    @Singleton
    MeterFilter lintClean() {
        return new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return "process.cpu.time".equals(id.getName()) || id.getType() == Meter.Type.LONG_TASK_TIMER
                        ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }

            @Override
            public Meter.Id map(Meter.Id id) {
                String name = "system.cpu.count".equals(id.getName()) ? "system.cpu.processors" : snakeCase(id.getName());
                String d = id.getDescription();
                String description = d == null || d.isBlank() ? name.replace('.', ' ').replace('_', ' ') : d.replace('"', '\'');
                List<Tag> tags = id.getTags().stream().map(t -> Tag.of(snakeCase(t.getKey()), t.getValue())).toList();
                if (name.equals(id.getName()) && description.equals(d) && tags.equals(id.getTags())) {
                    return id;
                }
                return new Meter.Id(name, Tags.of(tags), id.getBaseUnit(), description, id.getType());
            }
        };
    }

    static String snakeCase(String key) {
        return key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }
}

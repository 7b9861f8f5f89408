package io.cyclefleet.deploy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Adapter settings as the config mapping would give them, for tests; the factories set one type's keys. */
public record AdapterSettings(String type, String versionPattern, Duration timeout, Optional<String> deployCommand,
                              Optional<String> rollbackCommand, Optional<String> currentVersionCommand,
                              Optional<String> workingDirectory, Map<String, String> environment, Optional<String> url,
                              Optional<String> currentVersionUrl, Optional<String> namespace, Optional<String> deployment,
                              Optional<String> container, String imageTemplate) implements AdapterConfig.Adapter {

    /** AdapterConfig's default version-pattern. */
    public static final String VERSION_PATTERN = "[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}";

    /** An adapter of {@code type} with nothing but its timeout set. */
    public static AdapterSettings of(String type, Duration timeout) {
        return new AdapterSettings(type, VERSION_PATTERN, timeout, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "{{version}}");
    }

    /** {@code type=command}; null templates are not configured. */
    public static AdapterSettings command(String deploy, String rollback, String current, String workDir, Duration timeout,
                                          Map<String, String> environment) {
        return new AdapterSettings("command", VERSION_PATTERN, timeout, Optional.ofNullable(deploy), Optional.ofNullable(rollback),
                Optional.ofNullable(current), Optional.ofNullable(workDir), environment, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), "{{version}}");
    }

    /** {@code type=webhook}; null URLs are not configured. */
    public static AdapterSettings webhook(String url, String currentVersionUrl, Duration timeout) {
        return new AdapterSettings("webhook", VERSION_PATTERN, timeout, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Map.of(), Optional.ofNullable(url), Optional.ofNullable(currentVersionUrl), Optional.empty(),
                Optional.empty(), Optional.empty(), "{{version}}");
    }

    /** {@code type=kubernetes}; a null container is not configured. */
    public static AdapterSettings kubernetes(String namespace, String deployment, String container, String imageTemplate) {
        return new AdapterSettings("kubernetes", VERSION_PATTERN, Duration.ofMinutes(5), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Map.of(), Optional.empty(), Optional.empty(), Optional.of(namespace),
                Optional.of(deployment), Optional.ofNullable(container), imageTemplate);
    }

    public AdapterSettings withTimeout(Duration t) {
        return new AdapterSettings(type, versionPattern, t, deployCommand, rollbackCommand, currentVersionCommand, workingDirectory,
                environment, url, currentVersionUrl, namespace, deployment, container, imageTemplate);
    }
}

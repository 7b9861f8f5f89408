package io.cyclefleet.deploy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The deployment adapters this worker may use, by name: {@code cyclefleet.adapters.<name>.type=command}
 * and the settings of that type. A step's params name one; nothing in a spec says what runs.
 */
@ConfigMapping(prefix = "cyclefleet.adapters")
public interface AdapterConfig {

    @WithParentName
    Map<String, Adapter> adapters();

    interface Adapter {
        /** kubernetes | command | webhook */
        String type();

        /** Versions this adapter accepts (checked before anything runs). */
        @WithDefault("[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}")
        String versionPattern();

        /** How long one deploy or rollback may take. */
        @WithDefault("PT5M")
        Duration timeout();

        // command: argv templates, split on spaces, with {{version}}, {{previousVersion}}, {{cycleId}} and
        // {{fencingToken}} substituted per argument
        Optional<String> deployCommand();

        Optional<String> rollbackCommand();

        /** Prints the running version (its last line of stdout); read before a deploy to record the previous one. */
        Optional<String> currentVersionCommand();

        Optional<String> workingDirectory();

        Map<String, String> environment();

        // webhook: POST {action, version, previousVersion, cycleId, step, fencingToken} to url
        Optional<String> url();

        /** webhook: GET answers the running version (text, or JSON with a "version" field); read before acting. */
        Optional<String> currentVersionUrl();

        // kubernetes: which Deployment and container; the image is image-template with {{version}}
        Optional<String> namespace();

        Optional<String> deployment();

        Optional<String> container();

        @WithDefault("{{version}}")
        String imageTemplate();
    }
}

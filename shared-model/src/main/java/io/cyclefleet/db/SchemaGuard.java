package io.cyclefleet.db;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Refuses to start an orchestrator or worker on a schema it does not know (see {@link SchemaVersion}), before any of
 * its loops start. The orchestrator's Flyway migration has run by then. Postgres being down is not a mismatch: the
 * process starts and its loops wait for the database as they do at any time.
 */
@ApplicationScoped
public class SchemaGuard {

    private static final Logger LOG = Logger.getLogger(SchemaGuard.class);

    private final DataSource ds;
    private final String process;

    public SchemaGuard(DataSource ds, @ConfigProperty(name = "quarkus.application.name") String application) {
        this.ds = ds;
        this.process = application;
    }

    // first among the start-up observers: the fleet's loops start on the same event
    void onStart(@Observes @Priority(1) StartupEvent event) {
        try {
            SchemaVersion.check(ds, process);
        } catch (SQLException e) {
            LOG.warnf("%s: could not read the schema version (%s); starting without that check",
                    process, e.getMessage());
        }
    }
}

package dev.flowfabric.coordinator.health;

import dev.flowfabric.coordinator.store.SchemaStore;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Every transition rewrites a row of ff_exec_core and ff_attempt. Without autovacuum those tables
 * fill with dead rows and keep the statistics of their first minute, so the planner's choices
 * age badly; the service still works, but operators should hear it once, at startup.
 */
@ApplicationScoped
public class AutovacuumCheck {

    private static final Logger LOG = Logger.getLogger(AutovacuumCheck.class);

    void onStart(@Observes StartupEvent event, Pool pool, SchemaStore schema) {
        schema.autovacuum(pool).subscribe().with(on -> {
            if (!on) {
                LOG.warn("autovacuum is off in this database: the lifecycle tables will bloat and their "
                        + "statistics go stale; turn it on, or VACUUM ANALYZE them on a schedule");
            }
        }, e -> LOG.debugf("could not read the autovacuum setting: %s", e.getMessage()));
    }
}

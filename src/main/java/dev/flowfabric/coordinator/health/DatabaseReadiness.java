package dev.flowfabric.coordinator.health;

import dev.flowfabric.coordinator.store.SchemaStore;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import java.time.Duration;

/**
 * Ready (and started) while the database answers within two seconds and every migration applied
 * successfully. A replica that cannot reach Postgres cannot do anything useful, so it leaves the
 * load balancer rather than answer 503s.
 */
@Readiness
@Startup
@ApplicationScoped
public class DatabaseReadiness implements AsyncHealthCheck {

    private final Pool pool;
    private final SchemaStore schema;

    DatabaseReadiness(Pool pool, SchemaStore schema) {
        this.pool = pool;
        this.schema = schema;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return schema.appliedVersion(pool)
                .ifNoItem().after(Duration.ofSeconds(2)).fail()
                .map(version -> HealthCheckResponse.named("database")
                        .status(version != null)
                        .withData("schema_version", version == null ? "none" : version.toString())
                        .build())
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named("database").down()
                        .withData("error", e.getClass().getSimpleName()).build());
    }
}

package dev.flowfabric.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

/** What the health checks ask the database. */
@ApplicationScoped
public class SchemaStore {

    /** The newest successfully applied migration, or null when none has been applied or one failed. */
    static final String SELECT_APPLIED_MIGRATION = """
            SELECT CASE WHEN bool_and(success) THEN max(version::int) END AS version
            FROM flyway_schema_history WHERE version IS NOT NULL
            """;

    static final String SELECT_AUTOVACUUM = "SELECT current_setting('autovacuum') = 'on' AS autovacuum";

    public Uni<Boolean> autovacuum(SqlClient c) {
        return Sql.one(c, SELECT_AUTOVACUUM, r -> r.getBoolean("autovacuum")).map(v -> v.orElse(true));
    }

    public Uni<Integer> appliedVersion(SqlClient c) {
        return Sql.one(c, SELECT_APPLIED_MIGRATION, r -> r.getInteger("version")).map(v -> v.orElse(null));
    }
}

package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.Worker;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** SQL of the worker registry. */
@ApplicationScoped
public class WorkerStore {

    /** A registration and whether it made a new live worker (absent or expired before). */
    public record Registered(Worker worker, boolean created) { }

    private static final String COLUMNS = """
            worker_id, worker_instance_id, namespace, lanes, capabilities, liveness_ttl_ms, registered_at_ms,
            last_heartbeat_ms, expires_at_ms""";

    /**
     * Registers or refreshes an instance. A row that expired counts as absent: the registration is
     * new again. An instance registered to another worker_id is left alone (no row returned).
     */
    static final String UPSERT_WORKER_IF_SAME_ID = """
            WITH prior AS (
                SELECT expires_at_ms > $7 AS live FROM ff_worker WHERE worker_instance_id = $2
            ), up AS (
                INSERT INTO ff_worker AS w (worker_id, worker_instance_id, namespace, lanes, capabilities,
                    liveness_ttl_ms, registered_at_ms, last_heartbeat_ms, expires_at_ms)
                VALUES ($1, $2, $3, $4::text[], $5::text[], $6, $7, $7, $7 + $6)
                ON CONFLICT (worker_instance_id) DO UPDATE SET namespace = EXCLUDED.namespace,
                    lanes = EXCLUDED.lanes, capabilities = EXCLUDED.capabilities,
                    liveness_ttl_ms = EXCLUDED.liveness_ttl_ms,
                    registered_at_ms = CASE WHEN w.expires_at_ms > $7 THEN w.registered_at_ms ELSE $7 END,
                    last_heartbeat_ms = $7, expires_at_ms = $7 + EXCLUDED.liveness_ttl_ms
                WHERE w.worker_id = $1
                RETURNING %s
            )
            SELECT up.*, COALESCE((SELECT live FROM prior), false) AS was_live FROM up
            """.formatted(COLUMNS);

    static final String SELECT_WORKER_ID = "SELECT worker_id FROM ff_worker WHERE worker_instance_id = $1";

    /** A heartbeat keeps a live registration alive; an expired one is not revived. */
    static final String HEARTBEAT_WORKER_IF_LIVE = """
            UPDATE ff_worker SET last_heartbeat_ms = $2, expires_at_ms = $2 + liveness_ttl_ms
            WHERE worker_instance_id = $1 AND expires_at_ms > $2
            RETURNING expires_at_ms
            """;

    static final String DELETE_WORKER = "DELETE FROM ff_worker WHERE worker_instance_id = $1";

    static final String SELECT_WORKERS = """
            SELECT %s FROM ff_worker
            WHERE ($1::text IS NULL OR namespace = $1) AND ($2::text IS NULL OR $2 = ANY(lanes))
              AND ($3::text IS NULL OR worker_instance_id > $3)
            ORDER BY worker_instance_id
            LIMIT $4
            """.formatted(COLUMNS);

    static final String DELETE_WORKERS_IF_EXPIRED = """
            WITH due AS (
                SELECT worker_instance_id FROM ff_worker WHERE expires_at_ms <= $1
                ORDER BY expires_at_ms LIMIT $2 FOR UPDATE SKIP LOCKED
            )
            DELETE FROM ff_worker w USING due WHERE w.worker_instance_id = due.worker_instance_id
            """;

    public Uni<Optional<Registered>> register(SqlClient c, Worker w, long now) {
        return Sql.one(c, UPSERT_WORKER_IF_SAME_ID, r -> new Registered(worker(r), !r.getBoolean("was_live")),
                w.workerId(), w.workerInstanceId(), w.namespace(), w.lanes().toArray(String[]::new),
                w.capabilities().toArray(String[]::new), w.livenessTtlMs(), now);
    }

    public Uni<Optional<String>> workerIdOf(SqlClient c, String instanceId) {
        return Sql.one(c, SELECT_WORKER_ID, r -> r.getString("worker_id"), instanceId);
    }

    /** The new expiry, or empty when the instance is unknown or already expired. */
    public Uni<Optional<Long>> heartbeat(SqlClient c, String instanceId, long now) {
        return Sql.one(c, HEARTBEAT_WORKER_IF_LIVE, r -> r.getLong("expires_at_ms"), instanceId, now);
    }

    public Uni<Void> delete(SqlClient c, String instanceId) {
        return Sql.run(c, DELETE_WORKER, instanceId).replaceWithVoid();
    }

    public Uni<List<Worker>> list(SqlClient c, String namespace, String lane, String after, int limit) {
        return Sql.list(c, SELECT_WORKERS, WorkerStore::worker, namespace, lane, after, limit);
    }

    /** Deletes up to {@code batch} registrations that missed their TTL; returns how many. */
    public Uni<Integer> sweepExpired(SqlClient c, long now, int batch) {
        return Sql.run(c, DELETE_WORKERS_IF_EXPIRED, now, batch).map(rows -> rows.rowCount());
    }

    private static Worker worker(Row r) {
        return new Worker(r.getString("worker_id"), r.getString("worker_instance_id"), r.getString("namespace"),
                Arrays.asList(r.getArrayOfStrings("lanes")), Arrays.asList(r.getArrayOfStrings("capabilities")),
                r.getLong("liveness_ttl_ms"), r.getLong("registered_at_ms"), r.getLong("last_heartbeat_ms"),
                r.getLong("expires_at_ms"));
    }
}

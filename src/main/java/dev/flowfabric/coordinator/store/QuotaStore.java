package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.Quota;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SQL of quota policies. Admission itself is part of the claim statement ({@link ExecutionSql}). */
@ApplicationScoped
public class QuotaStore {

    static final String INSERT_QUOTA_IF_ABSENT = """
            INSERT INTO ff_quota_policy (quota_policy_id, window_ms, max_per_window, max_concurrent, created_at_ms)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (quota_policy_id) DO NOTHING
            RETURNING quota_policy_id
            """;

    /** The policy with the admissions of the sliding window ending at $2 (unpruned old ones excluded). */
    static final String SELECT_QUOTA = """
            SELECT q.quota_policy_id, q.window_ms, q.max_per_window, q.max_concurrent, q.concurrent_count,
                   q.created_at_ms,
                   q.window_count - COALESCE((SELECT sum(w.admitted) FROM ff_quota_window w
                                             WHERE w.quota_policy_id = q.quota_policy_id
                                               AND w.admitted_at_ms <= $2 - q.window_ms), 0) AS window_count
            FROM ff_quota_policy q WHERE q.quota_policy_id = $1
            """;

    /**
     * Frees the concurrency slots held by the leases that just ended: the attempt stops being a
     * holder and its policy's count drops by one. Attempts that held no slot change nothing, so
     * running it twice for the same lease is harmless.
     */
    static final String RELEASE_QUOTA_SLOTS = """
            WITH held AS (
                SELECT a.partition_key, a.execution_id, a.attempt_index, a.quota_policy_id
                FROM ff_attempt a
                JOIN unnest($1::smallint[], $2::uuid[]) AS x(partition_key, execution_id)
                  ON a.partition_key = x.partition_key AND a.execution_id = x.execution_id
                WHERE a.quota_policy_id IS NOT NULL AND a.lease_expires_at_ms IS NULL
            ), freed AS (
                UPDATE ff_attempt a SET quota_policy_id = NULL
                FROM held h
                WHERE a.partition_key = h.partition_key AND a.execution_id = h.execution_id
                  AND a.attempt_index = h.attempt_index
                RETURNING h.quota_policy_id
            )
            UPDATE ff_quota_policy q SET concurrent_count = GREATEST(0, q.concurrent_count - f.n)
            FROM (SELECT quota_policy_id, count(*) AS n FROM freed GROUP BY quota_policy_id) f
            WHERE q.quota_policy_id = f.quota_policy_id
            """;

    public Uni<Boolean> insertIfAbsent(SqlClient c, UUID id, long windowMs, Long maxPerWindow, Long maxConcurrent,
                                       long now) {
        return Sql.one(c, INSERT_QUOTA_IF_ABSENT, r -> true, id, windowMs, maxPerWindow, maxConcurrent, now)
                .map(Optional::isPresent);
    }

    public Uni<Optional<Quota>> find(SqlClient c, UUID id, long now) {
        return Sql.one(c, SELECT_QUOTA, QuotaStore::quota, id, now);
    }

    public Uni<Void> release(SqlClient c, List<Short> partitions, List<UUID> executions) {
        return Sql.run(c, RELEASE_QUOTA_SLOTS, partitions.toArray(Short[]::new), executions.toArray(UUID[]::new))
                .replaceWithVoid();
    }

    private static Quota quota(Row r) {
        return new Quota(r.getUUID("quota_policy_id"), r.getLong("window_ms"), r.getLong("max_per_window"),
                r.getLong("max_concurrent"), r.getLong("window_count"), r.getLong("concurrent_count"),
                r.getLong("created_at_ms"));
    }
}

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

    /** At most this many stripes per policy: as many claimers of one policy admit at once. */
    static final int MAX_STRIPES = 16;

    /**
     * Inserts the policy and its stripes: {@code n = min(16, limits)} stripes, stripe i getting
     * {@code floor(limit / n)} plus one of the remainder, so the shares add up to each limit.
     */
    static final String INSERT_QUOTA_IF_ABSENT = """
            WITH q AS (
                INSERT INTO ff_quota_policy (quota_policy_id, window_ms, max_per_window, max_concurrent, created_at_ms)
                VALUES ($1, $2::int8, $3::int8, $4::int8, $5::int8)
                ON CONFLICT (quota_policy_id) DO NOTHING
                RETURNING quota_policy_id, window_ms, max_per_window, max_concurrent,
                          LEAST($6::int8, COALESCE(max_per_window, $6::int8), COALESCE(max_concurrent, $6::int8)) AS n
            ), s AS (
                INSERT INTO ff_quota_stripe (quota_policy_id, stripe, window_ms, window_share, concurrent_share)
                SELECT q.quota_policy_id, i, q.window_ms,
                       q.max_per_window / q.n + (i < q.max_per_window % q.n)::int,
                       q.max_concurrent / q.n + (i < q.max_concurrent % q.n)::int
                FROM q, generate_series(0, q.n - 1) AS i
            )
            SELECT quota_policy_id FROM q
            """;

    /** The policy with the admissions of the sliding window ending at $2 (unpruned old ones excluded). */
    static final String SELECT_QUOTA = """
            SELECT q.quota_policy_id, q.window_ms, q.max_per_window, q.max_concurrent, q.created_at_ms,
                   COALESCE((SELECT sum(s.concurrent_count) FROM ff_quota_stripe s
                             WHERE s.quota_policy_id = q.quota_policy_id), 0) AS concurrent_count,
                   COALESCE((SELECT sum(s.window_count) FROM ff_quota_stripe s
                             WHERE s.quota_policy_id = q.quota_policy_id), 0)
                   - COALESCE((SELECT sum(w.admitted) FROM ff_quota_window w
                               WHERE w.quota_policy_id = q.quota_policy_id
                                 AND w.admitted_at_ms <= $2 - q.window_ms), 0) AS window_count
            FROM ff_quota_policy q WHERE q.quota_policy_id = $1
            """;

    /**
     * Frees the concurrency slots held by the leases that just ended: the attempt stops being a
     * holder and the stripe that admitted it counts one lease less. Stripes are locked in key
     * order, so two releases never deadlock. Attempts that held no slot change nothing, so running
     * it twice for the same lease is harmless.
     */
    static final String RELEASE_QUOTA_SLOTS = """
            WITH held AS (
                SELECT a.partition_key, a.execution_id, a.attempt_index, a.quota_policy_id, a.quota_stripe
                FROM ff_attempt a
                JOIN unnest($1::smallint[], $2::uuid[]) AS x(partition_key, execution_id)
                  ON a.partition_key = x.partition_key AND a.execution_id = x.execution_id
                WHERE a.quota_policy_id IS NOT NULL AND a.lease_expires_at_ms IS NULL
            ), freed AS (
                UPDATE ff_attempt a SET quota_policy_id = NULL, quota_stripe = NULL
                FROM held h
                WHERE a.partition_key = h.partition_key AND a.execution_id = h.execution_id
                  AND a.attempt_index = h.attempt_index
                RETURNING h.quota_policy_id, h.quota_stripe
            ), n AS (
                SELECT quota_policy_id, quota_stripe, count(*) AS n FROM freed GROUP BY quota_policy_id, quota_stripe
            ), lk AS (
                SELECT s.quota_policy_id, s.stripe FROM ff_quota_stripe s
                WHERE (s.quota_policy_id, s.stripe) IN (SELECT quota_policy_id, quota_stripe FROM n)
                ORDER BY s.quota_policy_id, s.stripe
                FOR UPDATE
            )
            UPDATE ff_quota_stripe s SET concurrent_count = GREATEST(0, s.concurrent_count - n.n)
            FROM lk JOIN n ON n.quota_policy_id = lk.quota_policy_id AND n.quota_stripe = lk.stripe
            WHERE s.quota_policy_id = lk.quota_policy_id AND s.stripe = lk.stripe
            """;

    public Uni<Boolean> insertIfAbsent(SqlClient c, UUID id, long windowMs, Long maxPerWindow, Long maxConcurrent,
                                       long now) {
        return Sql.one(c, INSERT_QUOTA_IF_ABSENT, r -> true, id, windowMs, maxPerWindow, maxConcurrent, now,
                        (long) MAX_STRIPES)
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

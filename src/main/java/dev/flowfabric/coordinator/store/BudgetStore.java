package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.Budget;
import dev.flowfabric.coordinator.domain.Transition;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** SQL of budgets: policy, usage per dimension, dedup keys, and the executions they hold back. */
@ApplicationScoped
public class BudgetStore {

    /** The locked header of a budget, as a usage report or reset needs it. */
    public record Header(UUID budgetId, boolean exhausted) { }

    /** What applying a report did: the breach found (if any) and whether the budget is exhausted now. */
    public record Applied(String hardDimension, Long hardUsage, String softDimension, Long softUsage,
                          boolean exhausted) { }

    static final String INSERT_BUDGET_IF_ABSENT = """
            WITH b AS (
                INSERT INTO ff_budget (budget_id, scope, scope_id, reset_interval_ms, next_reset_at_ms, created_at_ms,
                                       updated_at_ms)
                VALUES ($1, $2, $3, $4::int8, CASE WHEN $4::int8 > 0 THEN $8::int8 + $4::int8 END, $8::int8, $8::int8)
                ON CONFLICT (budget_id) DO NOTHING
                RETURNING budget_id
            ), u AS (
                INSERT INTO ff_budget_usage (budget_id, dimension, hard_limit, soft_limit, usage, updated_at_ms)
                SELECT b.budget_id, x.dimension, x.hard, x.soft, 0, $8
                FROM b, unnest($5::text[], $6::int8[], $7::int8[]) AS x(dimension, hard, soft)
            )
            SELECT count(*) AS created FROM b
            """;

    static final String SELECT_BUDGET = """
            SELECT b.budget_id, b.scope, b.scope_id, b.reset_interval_ms, b.next_reset_at_ms, b.exhausted,
                   b.breach_count, b.soft_breach_count, b.last_breach_at_ms, b.last_breach_dimension,
                   b.last_reset_at_ms, b.created_at_ms,
                   array_agg(u.dimension ORDER BY u.dimension) FILTER (WHERE u.dimension IS NOT NULL) AS dims,
                   array_agg(u.hard_limit ORDER BY u.dimension) FILTER (WHERE u.dimension IS NOT NULL) AS hards,
                   array_agg(u.soft_limit ORDER BY u.dimension) FILTER (WHERE u.dimension IS NOT NULL) AS softs,
                   array_agg(u.usage ORDER BY u.dimension) FILTER (WHERE u.dimension IS NOT NULL) AS usages
            FROM ff_budget b LEFT JOIN ff_budget_usage u ON u.budget_id = b.budget_id
            WHERE b.budget_id = $1
            GROUP BY b.budget_id
            """;

    static final String LOCK_BUDGET = "SELECT budget_id, exhausted FROM ff_budget WHERE budget_id = $1 FOR UPDATE";

    static final String SELECT_DEDUP_OUTCOME = """
            SELECT outcome->>'outcome' AS outcome, outcome->>'dimension' AS dimension, (outcome->>'usage')::int8 AS usage
            FROM ff_budget_dedup WHERE budget_id = $1 AND dedup_key = $2
            """;

    static final String INSERT_DEDUP = """
            INSERT INTO ff_budget_dedup (budget_id, dedup_key, outcome, applied_at_ms, expires_at_ms)
            VALUES ($1, $2, jsonb_strip_nulls(jsonb_build_object('outcome', $3::text, 'dimension', $4::text,
                                                                 'usage', $5::int8)), $6, $7)
            """;

    /**
     * Applies a report on the locked budget: all increments, or none when any would take its
     * dimension past the hard limit (the first such dimension by name is reported with its usage).
     * After applying, the first dimension by name over its soft limit is a soft breach. Counters
     * and the exhausted flag follow in the same statement.
     */
    static final String APPLY_USAGE_IF_WITHIN_HARD = """
            WITH inc AS (
                SELECT * FROM unnest($2::text[], $3::int8[]) AS x(dimension, delta)
            ), cur AS (
                SELECT i.dimension, i.delta, COALESCE(u.usage, 0) AS usage, u.hard_limit
                FROM inc i LEFT JOIN ff_budget_usage u ON u.budget_id = $1 AND u.dimension = i.dimension
            ), hard AS (
                SELECT dimension, usage FROM cur WHERE usage + delta > hard_limit ORDER BY dimension LIMIT 1
            ), applied AS (
                INSERT INTO ff_budget_usage AS u (budget_id, dimension, usage, updated_at_ms)
                SELECT $1, dimension, delta, $4 FROM inc WHERE NOT EXISTS (SELECT 1 FROM hard)
                ON CONFLICT (budget_id, dimension) DO UPDATE SET usage = u.usage + EXCLUDED.usage,
                    updated_at_ms = EXCLUDED.updated_at_ms
                RETURNING u.dimension, u.usage, u.hard_limit, u.soft_limit
            ), soft AS (
                SELECT dimension, usage FROM applied WHERE usage > soft_limit ORDER BY dimension LIMIT 1
            ), ledger AS (
                INSERT INTO ff_budget_exec_usage AS l (budget_id, execution_id, dimension, total, updated_at_ms)
                SELECT $1, $5, i.dimension, i.delta, $4 FROM inc i
                WHERE $5::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM hard)
                ON CONFLICT (budget_id, execution_id, dimension) DO UPDATE SET total = l.total + EXCLUDED.total,
                    updated_at_ms = EXCLUDED.updated_at_ms
            ), b AS (
                UPDATE ff_budget b SET
                    breach_count = b.breach_count + (SELECT count(*) FROM hard),
                    soft_breach_count = b.soft_breach_count + (SELECT count(*) FROM soft),
                    last_breach_at_ms = CASE WHEN EXISTS (SELECT 1 FROM hard) THEN $4 ELSE b.last_breach_at_ms END,
                    last_breach_dimension = COALESCE((SELECT dimension FROM hard), b.last_breach_dimension),
                    exhausted = b.exhausted OR EXISTS (SELECT 1 FROM hard)
                        OR EXISTS (SELECT 1 FROM applied WHERE usage >= hard_limit),
                    updated_at_ms = $4
                WHERE b.budget_id = $1
                RETURNING b.exhausted
            )
            SELECT (SELECT dimension FROM hard) AS hard_dimension, (SELECT usage FROM hard) AS hard_usage,
                   (SELECT dimension FROM soft) AS soft_dimension, (SELECT usage FROM soft) AS soft_usage,
                   (SELECT exhausted FROM b) AS exhausted
            """;

    /** Resets the budgets listed, or (when $1 is null) up to $3 whose reset is due at $2. */
    static final String RESET_BUDGETS = """
            WITH r AS (
                SELECT budget_id FROM ff_budget
                WHERE CASE WHEN $1::uuid[] IS NULL THEN next_reset_at_ms <= $2 ELSE budget_id = ANY($1) END
                ORDER BY next_reset_at_ms NULLS LAST
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ), b AS (
                UPDATE ff_budget b SET exhausted = false, last_breach_at_ms = NULL, last_breach_dimension = NULL,
                       last_reset_at_ms = $2, updated_at_ms = $2,
                       next_reset_at_ms = CASE WHEN b.reset_interval_ms > 0 THEN $2 + b.reset_interval_ms END
                FROM r WHERE b.budget_id = r.budget_id
                RETURNING b.budget_id
            ), u AS (
                UPDATE ff_budget_usage u SET usage = 0, updated_at_ms = $2 FROM b WHERE u.budget_id = b.budget_id
            )
            SELECT budget_id FROM b
            """;

    /**
     * Executions held back by the listed budgets become claimable again. The budget gate trigger
     * keeps back any that another exhausted budget still binds, so only rows that read
     * eligible_now afterwards were released.
     */
    static final String UNBLOCK_BOUND_EXECUTIONS = """
            UPDATE ff_exec_core e SET eligibility_state = 'eligible_now', blocking_reason = 'waiting_for_worker'
            WHERE e.eligibility_state = 'blocked_by_budget' AND e.lifecycle_phase = 'runnable'
              AND EXISTS (SELECT 1 FROM ff_budget b WHERE b.budget_id = ANY($1)
                          AND ff_budget_binds(b.scope, b.scope_id, b.budget_id, e.namespace, e.flow_id,
                                              e.execution_id, e.budget_ids))
            RETURNING e.execution_id, e.flow_id, e.partition_key, e.lane_id, e.quota_policy_id, e.public_state,
                      e.eligibility_state
            """;

    /**
     * Claimable executions bound to an exhausted budget (the listed ones, or all when $1 is null)
     * wait as blocked_by_budget. Rows a claim holds are skipped: the claim's own check refuses them.
     */
    static final String BLOCK_BOUND_EXECUTIONS = """
            WITH t AS (
                SELECT e.partition_key, e.execution_id
                FROM ff_exec_core e
                WHERE e.lifecycle_phase = 'runnable' AND e.eligibility_state = 'eligible_now'
                  AND EXISTS (SELECT 1 FROM ff_budget b WHERE b.exhausted
                              AND ($1::uuid[] IS NULL OR b.budget_id = ANY($1))
                              AND ff_budget_binds(b.scope, b.scope_id, b.budget_id, e.namespace, e.flow_id,
                                                  e.execution_id, e.budget_ids))
                FOR UPDATE OF e SKIP LOCKED
            )
            UPDATE ff_exec_core e SET eligibility_state = 'blocked_by_budget', blocking_reason = 'waiting_for_budget'
            FROM t WHERE e.partition_key = t.partition_key AND e.execution_id = t.execution_id
            RETURNING e.execution_id, e.flow_id, e.partition_key, e.lane_id, e.quota_policy_id, e.public_state
            """;

    static final String DELETE_DEDUP_IF_EXPIRED = """
            WITH due AS (
                SELECT budget_id, dedup_key FROM ff_budget_dedup WHERE expires_at_ms <= $1
                ORDER BY expires_at_ms LIMIT $2 FOR UPDATE SKIP LOCKED
            )
            DELETE FROM ff_budget_dedup d USING due WHERE d.budget_id = due.budget_id AND d.dedup_key = due.dedup_key
            """;

    /** Inserts the budget unless its id exists; true when this call created it. */
    public Uni<Boolean> insertIfAbsent(SqlClient c, UUID id, String scope, String scopeId,
                                       Map<String, Budget.Limit> limits, long resetIntervalMs, long now) {
        String[] dims = limits.keySet().toArray(String[]::new);
        Long[] hards = new Long[dims.length];
        Long[] softs = new Long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            hards[i] = limits.get(dims[i]).hard();
            softs[i] = limits.get(dims[i]).soft();
        }
        return Sql.one(c, INSERT_BUDGET_IF_ABSENT, r -> r.getLong("created") > 0, id, scope, scopeId, resetIntervalMs,
                dims, hards, softs, now).map(Optional::orElseThrow);
    }

    public Uni<Optional<Budget>> find(SqlClient c, UUID id) {
        return Sql.one(c, SELECT_BUDGET, BudgetStore::budget, id);
    }

    public Uni<Optional<Header>> lock(SqlClient c, UUID id) {
        return Sql.one(c, LOCK_BUDGET, r -> new Header(r.getUUID("budget_id"), r.getBoolean("exhausted")), id);
    }

    public Uni<Optional<Budget.UsageOutcome>> dedupOutcome(SqlClient c, UUID id, String key) {
        return Sql.one(c, SELECT_DEDUP_OUTCOME, r -> new Budget.UsageOutcome(r.getString("outcome"),
                r.getString("dimension"), r.getLong("usage")), id, key);
    }

    public Uni<Void> recordDedup(SqlClient c, UUID id, String key, Budget.UsageOutcome outcome, long now,
                                 long expiresAt) {
        return Sql.run(c, INSERT_DEDUP, id, key, outcome.outcome(), outcome.dimension(), outcome.usage(), now,
                expiresAt).replaceWithVoid();
    }

    public Uni<Applied> apply(SqlClient c, UUID id, Map<String, Long> usage, UUID executionId, long now) {
        return Sql.one(c, APPLY_USAGE_IF_WITHIN_HARD, r -> new Applied(r.getString("hard_dimension"),
                        r.getLong("hard_usage"), r.getString("soft_dimension"), r.getLong("soft_usage"),
                        r.getBoolean("exhausted")),
                id, usage.keySet().toArray(String[]::new), usage.values().toArray(Long[]::new), now, executionId)
                .map(Optional::orElseThrow);
    }

    /** Resets the given budgets (or, with null, up to {@code batch} due ones); returns the ids reset. */
    public Uni<List<UUID>> reset(SqlClient c, List<UUID> ids, long now, int batch) {
        return Sql.list(c, RESET_BUDGETS, r -> r.getUUID("budget_id"),
                ids == null ? null : ids.toArray(UUID[]::new), now, batch);
    }

    /** Executions released by the reset of these budgets, now claimable. */
    public Uni<List<Transition>> unblock(SqlClient c, List<UUID> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Sql.run(c, UNBLOCK_BOUND_EXECUTIONS, (Object) ids.toArray(UUID[]::new)).map(rows -> {
            List<Transition> out = new ArrayList<>();
            for (Row r : rows) {
                if ("eligible_now".equals(r.getString("eligibility_state"))) {
                    out.add(transition(r));
                }
            }
            return out;
        });
    }

    /** Claimable executions bound to these exhausted budgets (null: any exhausted budget), now held back. */
    public Uni<List<Transition>> block(SqlClient c, List<UUID> ids) {
        return Sql.list(c, BLOCK_BOUND_EXECUTIONS, BudgetStore::transition,
                (Object) (ids == null ? null : ids.toArray(UUID[]::new)));
    }

    public Uni<Integer> deleteExpiredDedup(SqlClient c, long now, int batch) {
        return Sql.run(c, DELETE_DEDUP_IF_EXPIRED, now, batch).map(rows -> rows.rowCount());
    }

    private static Transition transition(Row r) {
        return new Transition(r.getUUID("execution_id"), r.getShort("partition_key"), r.getUUID("flow_id"),
                r.getString("lane_id"), r.getUUID("quota_policy_id"), r.getString("public_state"), null, false, false);
    }

    private static Budget budget(Row r) {
        Map<String, Budget.Limit> limits = new LinkedHashMap<>();
        Map<String, Long> usage = new LinkedHashMap<>();
        String[] dims = r.getArrayOfStrings("dims");
        if (dims != null) {
            Long[] hards = r.getArrayOfLongs("hards");
            Long[] softs = r.getArrayOfLongs("softs");
            Long[] usages = r.getArrayOfLongs("usages");
            for (int i = 0; i < dims.length; i++) {
                if (hards[i] != null || softs[i] != null) {
                    limits.put(dims[i], new Budget.Limit(hards[i], softs[i]));
                }
                usage.put(dims[i], usages[i]);
            }
        }
        return new Budget(r.getUUID("budget_id"), r.getString("scope"), r.getString("scope_id"), limits, usage,
                r.getLong("reset_interval_ms"), r.getLong("next_reset_at_ms"), r.getBoolean("exhausted"),
                r.getLong("breach_count"), r.getLong("soft_breach_count"), r.getLong("last_breach_at_ms"),
                r.getString("last_breach_dimension"), r.getLong("last_reset_at_ms"), r.getLong("created_at_ms"));
    }
}

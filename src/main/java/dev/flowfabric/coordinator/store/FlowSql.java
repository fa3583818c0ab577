package dev.flowfabric.coordinator.store;

import static dev.flowfabric.coordinator.store.ExecutionSql.EXEC_COLUMNS;

/**
 * SQL of flows: headers, edges and groups, resolution, flow state, and the cancel backlog.
 * Lock discipline (it keeps these statements deadlock-free against each other and against the
 * execution lifecycle, which locks an execution row before any hook runs):
 * <ul>
 *   <li>execution rows are waited for only in graph order, upstream before downstream; rows that
 *       are not downstream of what a transaction holds (sibling and flow cancels) are taken with
 *       {@code SKIP LOCKED}, and what was skipped waits in the durable cancel backlog;</li>
 *   <li>the flow row is locked last: whoever holds it waits for no execution row.</li>
 * </ul>
 */
final class FlowSql {

    private FlowSql() {
    }

    // ---- headers ----------------------------------------------------------------------------

    static final String INSERT_FLOW_IF_ABSENT = """
            WITH ins AS (
                INSERT INTO ff_flow_core (partition_key, flow_id, namespace, kind, created_at_ms)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT DO NOTHING
                RETURNING partition_key, flow_id
            ), ev AS (
                INSERT INTO ff_event (type, flow_id, partition_key, at_ms, data)
                SELECT 'flow.created', flow_id, partition_key, $5,
                       jsonb_build_object('namespace', $3::text, 'kind', $4::text)
                FROM ins
            )
            SELECT count(*) AS created FROM ins
            """;

    static final String SELECT_FLOW = """
            SELECT flow_id, partition_key, namespace, kind, public_flow_state, graph_revision,
                   node_refs::text AS node_refs
            FROM ff_flow_core WHERE flow_id = $1
            """;

    static final String SET_NODE_REFS = "UPDATE ff_flow_core SET node_refs = $2::text::jsonb WHERE flow_id = $1";

    /** A claim made a member active: a flow that was open or blocked is running now. */
    static final String MARK_RUNNING = """
            UPDATE ff_flow_core SET public_flow_state = 'running'
            WHERE flow_id = ANY($1::uuid[]) AND public_flow_state IN ('open', 'blocked')
            """;

    static final String ADD_TO_REVISION = """
            UPDATE ff_flow_core SET graph_revision = graph_revision + $2 WHERE flow_id = $1
            RETURNING graph_revision
            """;

    /**
     * Derives and stores the state of each listed flow from its members (api.md §3), writing
     * flow.completed / failed / cancelled when it ends. A flow cancelled by a cancel call keeps
     * that state. The caller holds the flow rows, so concurrent member transitions derive one
     * after the other and the last one sees them all.
     */
    static final String DERIVE_FLOW_STATES = """
            WITH c AS (
                SELECT f.partition_key, f.flow_id,
                       count(e.execution_id) AS members,
                       count(e.execution_id) FILTER (WHERE e.lifecycle_phase <> 'terminal') AS live,
                       count(e.execution_id) FILTER (WHERE e.public_state = 'active') AS active,
                       count(e.execution_id) FILTER (WHERE e.lifecycle_phase <> 'terminal' AND e.public_state
                           NOT IN ('suspended', 'delayed', 'waiting_children', 'rate_limited')) AS unblocked,
                       count(e.execution_id) FILTER (WHERE e.terminal_outcome IN ('failed', 'expired')) AS failed,
                       count(e.execution_id) FILTER (WHERE e.terminal_outcome = 'cancelled'
                           AND e.cancelled_by IS DISTINCT FROM 'cancel_remaining') AS cancelled
                FROM ff_flow_core f
                LEFT JOIN ff_exec_core e ON e.partition_key = f.partition_key AND e.flow_id = f.flow_id
                WHERE f.flow_id = ANY($1::uuid[])
                  AND NOT EXISTS (SELECT 1 FROM ff_cancel_backlog b
                                  WHERE b.partition_key = f.partition_key AND b.flow_id = f.flow_id)
                GROUP BY f.partition_key, f.flow_id
            ), s AS (
                SELECT partition_key, flow_id, CASE
                    WHEN members = 0 THEN 'open'
                    WHEN live = 0 THEN CASE WHEN failed > 0 THEN 'failed' WHEN cancelled > 0 THEN 'cancelled'
                                            ELSE 'completed' END
                    WHEN active > 0 THEN 'running'
                    WHEN unblocked = 0 THEN 'blocked'
                    ELSE 'open' END AS state
                FROM c
            ), u AS (
                UPDATE ff_flow_core f SET public_flow_state = s.state,
                       terminal_at_ms = CASE WHEN s.state IN ('completed', 'failed', 'cancelled') THEN $2::bigint END
                FROM s
                WHERE f.partition_key = s.partition_key AND f.flow_id = s.flow_id AND f.public_flow_state <> s.state
                RETURNING f.partition_key, f.flow_id, f.public_flow_state
            ), ev AS (
                INSERT INTO ff_event (type, flow_id, partition_key, at_ms, data)
                SELECT 'flow.' || public_flow_state, flow_id, partition_key, $2, '{}'::jsonb
                FROM u WHERE public_flow_state IN ('completed', 'failed', 'cancelled')
            )
            SELECT flow_id, public_flow_state FROM u
            """;

    // ---- graph ------------------------------------------------------------------------------

    /** Locks one execution (graph mutations lock upstream, then downstream, then the flow). */
    static final String LOCK_EXECUTION = """
            SELECT partition_key, execution_id, flow_id, lifecycle_phase,
                   (started_at_ms IS NULL AND attempt_count = 0) AS never_claimed
            FROM ff_exec_core WHERE execution_id = $1
            FOR UPDATE
            """;

    static final String JOIN_FLOW_IF_SOLO = """
            UPDATE ff_exec_core SET flow_id = $3
            WHERE partition_key = $1 AND execution_id = $2 AND flow_id IS NULL
            """;

    /**
     * Inserts edges (arrays aligned); an edge whose upstream already ended is resolved on the
     * spot. A pair that exists already is skipped: the caller sees it missing from the result.
     */
    static final String INSERT_EDGES_IF_ABSENT = """
            INSERT INTO ff_edge AS ed (partition_key, edge_id, flow_id, upstream_id, downstream_id, condition, state,
                                       created_at_ms, resolved_at_ms)
            SELECT $1, x.edge_id, $2, x.up, x.down, x.cond, ff_edge_state(x.cond, u.lifecycle_phase, u.terminal_outcome),
                   $3, CASE WHEN u.lifecycle_phase = 'terminal' THEN $3::bigint END
            FROM unnest($4::uuid[], $5::uuid[], $6::uuid[], $7::text[]) WITH ORDINALITY AS x(edge_id, up, down, cond, ord)
            JOIN ff_exec_core u ON u.partition_key = $1 AND u.execution_id = x.up
            ORDER BY x.ord
            ON CONFLICT DO NOTHING
            RETURNING ed.edge_id, ed.state
            """;

    /** True when the upstream $2 can be reached from $3: an edge $2 -> $3 would close a cycle. */
    static final String SELECT_REACHES = """
            WITH RECURSIVE down(id) AS (
                SELECT $3::uuid
                UNION
                SELECT ed.downstream_id FROM ff_edge ed JOIN down ON ed.partition_key = $1 AND ed.upstream_id = down.id
            )
            SELECT EXISTS (SELECT 1 FROM down WHERE id = $2) AS reaches
            """;

    static final String COUNT_INCOMING = """
            SELECT count(*) AS n FROM ff_edge WHERE partition_key = $1 AND downstream_id = $2
            """;

    static final String UPSERT_GROUPS = """
            INSERT INTO ff_edge_group AS g (partition_key, downstream_id, flow_id, policy, k, on_satisfied, updated_at_ms)
            SELECT $1, x.down, $2, x.policy, x.k, x.on_satisfied, $3
            FROM unnest($4::uuid[], $5::text[], $6::int[], $7::text[]) AS x(down, policy, k, on_satisfied)
            ON CONFLICT (partition_key, downstream_id) DO UPDATE SET policy = EXCLUDED.policy, k = EXCLUDED.k,
                on_satisfied = EXCLUDED.on_satisfied, updated_at_ms = EXCLUDED.updated_at_ms
            """;

    // ---- resolution -------------------------------------------------------------------------

    /**
     * Resolves the pending outgoing edges of upstreams that just ended, then locks those of their
     * downstreams that still wait for their dependencies, in id order (all downstream of the
     * caller's rows, so waiting for them follows the graph). Members owed a flow cancel are left to
     * that cancel.
     */
    static final String RESOLVE_EDGES_AND_LOCK_GATED = """
            WITH r AS (
                UPDATE ff_edge ed SET state = ff_edge_state(ed.condition, 'terminal', u.outcome), resolved_at_ms = $4
                FROM unnest($1::smallint[], $2::uuid[], $3::text[]) AS u(pk, id, outcome)
                WHERE ed.partition_key = u.pk AND ed.upstream_id = u.id AND ed.state = 'pending'
                RETURNING ed.partition_key, ed.downstream_id
            )
            SELECT e.partition_key, e.execution_id
            FROM ff_exec_core e
            WHERE (e.partition_key, e.execution_id) IN (SELECT partition_key, downstream_id FROM r)
              AND e.lifecycle_phase = 'runnable' AND e.eligibility_state = 'blocked_by_dependencies'
              AND NOT EXISTS (SELECT 1 FROM ff_cancel_backlog b WHERE b.partition_key = e.partition_key
                              AND b.flow_id = e.flow_id AND b.policy <> 'cancel_flow_only')
            ORDER BY e.execution_id
            FOR UPDATE OF e
            """;

    /** Each (locked) downstream with its join policy and its incoming edges counted by state. */
    static final String SELECT_JOINS = """
            SELECT e.partition_key, e.execution_id, e.flow_id, e.lifecycle_phase, e.eligibility_state,
                   (e.started_at_ms IS NULL AND e.attempt_count = 0) AS never_claimed,
                   g.policy, g.k, g.on_satisfied,
                   count(ed.edge_id) FILTER (WHERE ed.state = 'satisfied') AS satisfied,
                   count(ed.edge_id) FILTER (WHERE ed.state = 'impossible') AS impossible,
                   count(ed.edge_id) FILTER (WHERE ed.state = 'pending') AS pending
            FROM unnest($1::smallint[], $2::uuid[]) AS d(pk, id)
            JOIN ff_exec_core e ON e.partition_key = d.pk AND e.execution_id = d.id
            LEFT JOIN ff_edge_group g ON g.partition_key = d.pk AND g.downstream_id = d.id
            LEFT JOIN ff_edge ed ON ed.partition_key = d.pk AND ed.downstream_id = d.id
            GROUP BY e.partition_key, e.execution_id, g.partition_key, g.downstream_id
            """;

    /** Satisfied: the gated downstreams become claimable (or delayed, if their delay is still ahead). */
    static final String RELEASE_IF_GATED = """
            WITH e AS (
                UPDATE ff_exec_core e SET
                       eligibility_state = CASE WHEN e.delay_until_ms > $3 THEN 'not_eligible_until_time'
                                                ELSE 'eligible_now' END,
                       blocking_reason = CASE WHEN e.delay_until_ms > $3 THEN 'waiting_for_delay'
                                              ELSE 'waiting_for_worker' END
                FROM unnest($1::smallint[], $2::uuid[]) AS d(pk, id)
                WHERE e.partition_key = d.pk AND e.execution_id = d.id
                  AND e.lifecycle_phase = 'runnable' AND e.eligibility_state = 'blocked_by_dependencies'
                RETURNING %1$s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.dependencies_satisfied', execution_id, flow_id, partition_key, $3,
                       jsonb_build_object('lane', lane_id, 'public_state', public_state)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    /** Pending: a downstream that was never claimed waits for its dependencies (waiting_children). */
    static final String GATE_IF_NEVER_CLAIMED = """
            WITH e AS (
                UPDATE ff_exec_core e SET eligibility_state = 'blocked_by_dependencies',
                       blocking_reason = 'waiting_for_children'
                FROM unnest($1::smallint[], $2::uuid[]) AS d(pk, id)
                WHERE e.partition_key = d.pk AND e.execution_id = d.id
                  AND e.lifecycle_phase = 'runnable' AND e.eligibility_state <> 'blocked_by_dependencies'
                  AND e.started_at_ms IS NULL AND e.attempt_count = 0
                RETURNING %1$s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.dependencies_pending', execution_id, flow_id, partition_key, $3,
                       jsonb_build_object('lane', lane_id)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    /** Impossible: a downstream that waits for its dependencies, or never ran, ends skipped. */
    static final String SKIP_IF_OPEN = """
            WITH e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'terminal', ownership_state = 'unowned',
                       eligibility_state = 'not_applicable', attempt_state = 'attempt_terminal',
                       terminal_outcome = 'skipped', terminal_at_ms = $3, blocking_reason = NULL
                FROM unnest($1::smallint[], $2::uuid[]) AS d(pk, id)
                WHERE e.partition_key = d.pk AND e.execution_id = d.id
                  AND e.lifecycle_phase = 'runnable' AND (e.eligibility_state = 'blocked_by_dependencies'
                       OR (e.started_at_ms IS NULL AND e.attempt_count = 0))
                RETURNING %1$s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.skipped', execution_id, flow_id, partition_key, $3,
                       jsonb_build_object('lane', lane_id, 'terminal_outcome', 'skipped',
                                          'reason', 'dependencies_impossible')
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    /** The upstreams of the listed downstreams whose edge is still pending (cancel_remaining's targets). */
    static final String SELECT_REMAINING_UPSTREAMS = """
            SELECT DISTINCT ed.partition_key, ed.flow_id, ed.upstream_id
            FROM ff_edge ed
            JOIN unnest($1::smallint[], $2::uuid[]) AS d(pk, id) ON ed.partition_key = d.pk AND ed.downstream_id = d.id
            WHERE ed.state = 'pending'
            ORDER BY ed.upstream_id
            """;

    /**
     * Cancels the listed members of one partition that are not terminal ($3: only those without
     * a lease), skipping any row another transaction holds. Leases end (the epoch moves on); a flow
     * cancel clears the current attempt's outcome (model.md §1), a sibling cancel records
     * {@code cancelled} on it.
     */
    static final String CANCEL_MEMBERS_IF_LIVE = """
            WITH t AS (
                SELECT e.partition_key, e.execution_id, e.attempt_index, e.lifecycle_phase AS prior_phase
                FROM ff_exec_core e
                WHERE e.partition_key = $1 AND e.execution_id = ANY($2::uuid[]) AND e.lifecycle_phase <> 'terminal'
                  AND NOT ($3 AND e.ownership_state = 'leased')
                ORDER BY e.execution_id
                FOR UPDATE SKIP LOCKED
            ), att AS (
                UPDATE ff_attempt a SET
                       outcome = CASE WHEN $6 = 'flow_cancel' THEN NULL ELSE COALESCE(a.outcome, 'cancelled') END,
                       lease_expires_at_ms = NULL, timeout_at_ms = NULL, terminal_at_ms = COALESCE(a.terminal_at_ms, $4)
                FROM t WHERE a.partition_key = t.partition_key AND a.execution_id = t.execution_id
                         AND a.attempt_index = t.attempt_index
                RETURNING a.execution_id
            ), e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'terminal', ownership_state = 'unowned',
                       eligibility_state = 'not_applicable', attempt_state = 'attempt_terminal',
                       terminal_outcome = 'cancelled', terminal_at_ms = $4, blocking_reason = NULL,
                       cancel_reason = COALESCE($5, e.cancel_reason), cancelled_by = $6,
                       lease_epoch = e.lease_epoch + 1
                FROM t WHERE e.partition_key = t.partition_key AND e.execution_id = t.execution_id
                RETURNING %1$s, t.prior_phase = 'active' AS lease_ended
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.cancelled', execution_id, flow_id, partition_key, $4,
                       jsonb_build_object('lane', lane_id, 'terminal_outcome', 'cancelled', 'reason', $5::text,
                                          'cause', $6::text)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    // ---- cancel backlog ---------------------------------------------------------------------

    static final String SELECT_CANCEL = """
            SELECT policy, reason FROM ff_cancel_backlog WHERE partition_key = $1 AND flow_id = $2
            """;

    static final String INSERT_CANCEL = """
            INSERT INTO ff_cancel_backlog (partition_key, flow_id, policy, reason, requested_at_ms)
            VALUES ($1, $2, $3, $4, $5)
            """;

    /** Owes a cancel to every member the policy names: not terminal, and without a lease if $3. */
    static final String ENQUEUE_FLOW_MEMBERS = """
            INSERT INTO ff_cancel_backlog_member (partition_key, flow_id, execution_id, cause, only_unleased, reason,
                                                  enqueued_at_ms)
            SELECT e.partition_key, e.flow_id, e.execution_id, 'flow_cancel', $3, $4, $5
            FROM ff_exec_core e
            WHERE e.partition_key = $1 AND e.flow_id = $2 AND e.lifecycle_phase <> 'terminal'
              AND NOT ($3 AND e.ownership_state = 'leased')
            ON CONFLICT DO NOTHING
            """;

    static final String ENQUEUE_SIBLINGS = """
            INSERT INTO ff_cancel_backlog_member AS m (partition_key, flow_id, execution_id, cause, reason,
                                                       enqueued_at_ms)
            SELECT x.pk, x.flow_id, x.id, 'cancel_remaining', 'cancel_remaining', $4
            FROM unnest($1::smallint[], $2::uuid[], $3::uuid[]) AS x(pk, flow_id, id)
            ON CONFLICT (partition_key, flow_id, execution_id, cause) DO UPDATE SET state = 'pending',
                enqueued_at_ms = EXCLUDED.enqueued_at_ms, done_at_ms = NULL
            """;

    static final String FLIP_FLOW_CANCELLED = """
            WITH f AS (
                UPDATE ff_flow_core SET public_flow_state = 'cancelled', terminal_at_ms = $3
                WHERE partition_key = $1 AND flow_id = $2
                RETURNING partition_key, flow_id
            )
            INSERT INTO ff_event (type, flow_id, partition_key, at_ms, data)
            SELECT 'flow.cancelled', flow_id, partition_key, $3, jsonb_build_object('policy', $4::text, 'reason', $5::text)
            FROM f
            """;

    static final String SELECT_FLOW_CANCEL_MEMBERS = """
            SELECT execution_id, state FROM ff_cancel_backlog_member
            WHERE partition_key = $1 AND flow_id = $2 AND cause = 'flow_cancel'
            ORDER BY execution_id
            """;

    static final String COUNT_OWED = """
            SELECT count(*) AS n FROM ff_cancel_backlog_member
            WHERE state = 'pending' AND ($1::uuid IS NULL OR flow_id = $1::uuid)
            """;

    /** A batch of owed cancels ($1: one flow's, or any when null), oldest first, none another drainer holds. */
    static final String LOCK_PENDING_CANCELS = """
            SELECT partition_key, flow_id, execution_id, cause, only_unleased, reason
            FROM ff_cancel_backlog_member
            WHERE state = 'pending' AND ($1::uuid IS NULL OR flow_id = $1::uuid)
            ORDER BY enqueued_at_ms
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """;

    /**
     * Settles a drained batch: the members this drain cancelled are 'cancelled', the ones that no
     * longer need it (terminal by other means, or leased under cancel_pending) 'dropped'; a member
     * whose row was busy stays 'pending' for the next drain.
     */
    static final String SETTLE_CANCELS = """
            UPDATE ff_cancel_backlog_member m
            SET state = CASE WHEN m.execution_id = ANY($1::uuid[]) THEN 'cancelled' ELSE 'dropped' END, done_at_ms = $2
            FROM unnest($3::smallint[], $4::uuid[], $5::uuid[], $6::text[]) AS b(pk, flow_id, id, cause)
            WHERE m.partition_key = b.pk AND m.flow_id = b.flow_id AND m.execution_id = b.id AND m.cause = b.cause
              AND m.state = 'pending'
              AND NOT EXISTS (SELECT 1 FROM ff_exec_core e
                              WHERE e.partition_key = m.partition_key AND e.execution_id = m.execution_id
                                AND e.lifecycle_phase <> 'terminal'
                                AND NOT (m.only_unleased AND e.ownership_state = 'leased'))
            """;

    // ---- repair -----------------------------------------------------------------------------

    /** Ended upstreams whose outgoing edges a crash left pending, locked (SKIP LOCKED) for re-resolution. */
    static final String LOCK_FINISHED_WITH_PENDING_EDGES = """
            SELECT x.execution_id, x.partition_key, x.flow_id, x.lane_id, x.quota_policy_id, x.public_state,
                   x.terminal_outcome
            FROM ff_exec_core x
            WHERE x.execution_id IN (SELECT ed.upstream_id FROM ff_edge ed WHERE ed.state = 'pending')
              AND x.lifecycle_phase = 'terminal'
            LIMIT $1
            FOR UPDATE OF x SKIP LOCKED
            """;

    /** Gated members none of whose edges is still pending: their join was decided but not applied. */
    static final String LOCK_STUCK_GATED = """
            SELECT e.partition_key, e.execution_id
            FROM ff_exec_core e
            WHERE e.eligibility_state = 'blocked_by_dependencies' AND e.lifecycle_phase = 'runnable'
              AND NOT EXISTS (SELECT 1 FROM ff_edge ed WHERE ed.partition_key = e.partition_key
                              AND ed.downstream_id = e.execution_id AND ed.state = 'pending')
              AND NOT EXISTS (SELECT 1 FROM ff_cancel_backlog b WHERE b.partition_key = e.partition_key
                              AND b.flow_id = e.flow_id AND b.policy <> 'cancel_flow_only')
            LIMIT $1
            FOR UPDATE SKIP LOCKED
            """;
}

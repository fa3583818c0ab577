package dev.flowfabric.coordinator.store;

/**
 * SQL of the execution lifecycle. Every transition is a guarded statement: its WHERE names the
 * state it expects, and a statement that matched nothing is a conflict the caller diagnoses.
 * Locks are always taken exec row first, attempt row second.
 */
final class ExecutionSql {

    private ExecutionSql() {
    }

    /** The execution view's columns over alias {@code e}. */
    static final String EXEC_COLUMNS = """
            e.execution_id, e.partition_key, e.namespace, e.lane_id, e.kind, e.priority, e.flow_id,
            e.required_capabilities, e.tags::text AS tags, e.input::text AS input, e.public_state,
            e.lifecycle_phase, e.ownership_state, e.eligibility_state, e.blocking_reason, e.attempt_state,
            e.terminal_outcome, e.attempt_index, e.attempt_count, e.retry_count, e.reclaim_count,
            e.created_at_ms, e.started_at_ms, e.terminal_at_ms, e.delay_until_ms, e.deadline_at_ms,
            e.progress_percent, e.progress_message, e.result::text AS result, e.last_error::text AS last_error,
            e.idempotency_key, e.quota_policy_id""";

    /** The view plus the current live lease, if any. */
    static final String SELECT_EXECUTION_WITH_LEASE = """
            SELECT %s,
                   a.worker_id AS lease_worker_id, a.worker_instance_id AS lease_worker_instance_id,
                   a.lease_epoch AS lease_epoch, a.lease_expires_at_ms AS lease_expires_at_ms
            FROM ff_exec_core e
            LEFT JOIN ff_attempt a ON a.partition_key = e.partition_key AND a.execution_id = e.execution_id
                 AND a.attempt_index = e.attempt_index AND a.lease_expires_at_ms IS NOT NULL
            """.formatted(EXEC_COLUMNS);

    static final String SELECT_EXECUTION_BY_ID = SELECT_EXECUTION_WITH_LEASE + " WHERE e.execution_id = $1";

    static final String SELECT_EXECUTIONS_BY_ID_OR_KEY = SELECT_EXECUTION_WITH_LEASE + """
             WHERE e.execution_id = ANY($1::uuid[])
                OR (e.idempotency_key IS NOT NULL AND (e.namespace, e.idempotency_key) IN
                    (SELECT * FROM unnest($2::text[], $3::text[])))
            """;

    /**
     * Inserts a batch (one row per array element, arrays aligned). Rows whose id or idempotency
     * key exists already are skipped; the caller resolves them to the existing executions.
     */
    static final String INSERT_EXECUTIONS_IF_ABSENT = """
            WITH input AS (
                SELECT * FROM unnest($1::smallint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                                     $7::text[], $8::int[], $9::text[], $10::text[], $11::text[], $12::int8[],
                                     $13::int8[], $14::text[], $15::int8[], $16::text[], $17::uuid[], $18::text[])
                    WITH ORDINALITY AS x(partition_key, execution_id, flow_id, namespace, lane_id, kind, input,
                                         priority, caps, tags, idempotency_key, delay_until_ms, deadline_at_ms,
                                         retry_policy, attempt_timeout_ms, budget_ids, quota_policy_id,
                                         eligibility, ord)
            ), ins AS (
                INSERT INTO ff_exec_core AS e (partition_key, execution_id, flow_id, namespace, lane_id, kind, input,
                    priority, required_capabilities, tags, idempotency_key, delay_until_ms, deadline_at_ms,
                    retry_policy, attempt_timeout_ms, budget_ids, quota_policy_id, lifecycle_phase,
                    eligibility_state, attempt_state, blocking_reason, created_at_ms)
                SELECT partition_key, execution_id, flow_id, namespace, lane_id, kind, input::jsonb, priority,
                       string_to_array(caps, ','), tags::jsonb, idempotency_key, delay_until_ms, deadline_at_ms,
                       retry_policy::jsonb, attempt_timeout_ms, string_to_array(budget_ids, ',')::uuid[],
                       quota_policy_id, 'runnable', eligibility, 'pending_first_attempt',
                       CASE eligibility WHEN 'eligible_now' THEN 'waiting_for_worker'
                                        WHEN 'not_eligible_until_time' THEN 'waiting_for_delay'
                                        ELSE 'waiting_for_children' END,
                       $19
                FROM input ORDER BY ord
                ON CONFLICT DO NOTHING
                RETURNING %s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.created', execution_id, flow_id, partition_key, $19,
                       jsonb_build_object('lane', lane_id, 'namespace', namespace, 'kind', kind,
                                          'public_state', public_state)
                FROM ins
            ), wake AS (
                SELECT pg_notify('ff_work', $20 || '|' || count(*) || '|' || lane_id)
                FROM ins WHERE eligibility_state = 'eligible_now' GROUP BY lane_id
            )
            SELECT ins.*, (SELECT count(*) FROM wake) AS woken FROM ins
            """.formatted(EXEC_COLUMNS);

    /**
     * The claim: pick up to $4 runnable executions of one lane in priority order across all
     * partitions (SKIP LOCKED, so concurrent claimers never meet), open or re-lease their attempt
     * with a fresh lease and a higher epoch, and flip them to active, in one statement.
     * The kind of attempt follows from how the execution became runnable.
     *
     * <p>Admission (api.md §6) happens in the same statement. The scan passes over executions
     * bound to an exhausted budget and those whose quota policy has no stripe with room, so they
     * never take a place of the $4. Candidates with a quota policy then lock one stripe of it with
     * room (SKIP LOCKED: claimers never wait for each other) and are admitted up to the room its
     * counters leave; the rest stay runnable and are counted in {@code refused}, so the caller can
     * look further. The caller records the admissions ({@link #RECORD_QUOTA_ADMISSIONS}) while it
     * still holds the stripes, so claims without a quota run no quota statement at all. Without budgets or quotas this
     * costs two probes of empty index ranges. The result always has one row: {@code refused}, and
     * the claim columns (null when nothing was claimed).
     */
    static final String SET_PLANNER_IF_CLAIMING = "SET LOCAL enable_bitmapscan = off";

    static final String CLAIM_EXECUTIONS_IF_RUNNABLE = """
            WITH cand AS (
                SELECT e.partition_key, e.execution_id, e.attempt_index, e.attempt_state, e.ownership_state,
                       e.lease_epoch, e.attempt_timeout_ms, e.quota_policy_id, e.priority, e.created_at_ms
                FROM ff_exec_core e
                WHERE e.lane_id = $1 AND e.namespace = $2
                  AND e.lifecycle_phase = 'runnable' AND e.eligibility_state = 'eligible_now'
                  -- "= '{}'" first: Postgres guesses 0.5 % for any <@, so plans expected a handful of a
                  -- lane's rows to pass and sorted the whole lane; the statistics know most executions
                  -- need no capability.
                  AND (e.required_capabilities = '{}' OR e.required_capabilities <@ $3::text[])
                  AND (e.deadline_at_ms IS NULL OR e.deadline_at_ms > $5)
                  AND NOT EXISTS (SELECT 1 FROM ff_budget b WHERE b.exhausted
                        AND ff_budget_binds(b.scope, b.scope_id, b.budget_id, e.namespace, e.flow_id,
                                            e.execution_id, e.budget_ids))
                  AND (e.quota_policy_id IS NULL
                       OR NOT EXISTS (SELECT 1 FROM ff_quota_policy q WHERE q.quota_policy_id = e.quota_policy_id)
                       OR EXISTS (SELECT 1 FROM ff_quota_stripe s WHERE s.quota_policy_id = e.quota_policy_id
                                  AND (s.concurrent_count < s.concurrent_share OR s.concurrent_share IS NULL)
                                  AND (s.window_count < s.window_share OR s.window_share IS NULL
                                       OR EXISTS (SELECT 1 FROM ff_quota_window w
                                                  WHERE w.quota_policy_id = s.quota_policy_id AND w.stripe = s.stripe
                                                    AND w.admitted_at_ms <= $5 - s.window_ms))))
                ORDER BY e.priority DESC, e.created_at_ms
                LIMIT $4
                FOR UPDATE OF e SKIP LOCKED
            ), room AS (
                SELECT s.quota_policy_id, s.stripe,
                       LEAST(COALESCE(s.window_share - (s.window_count - COALESCE(x.expired, 0)), 2147483647),
                             COALESCE(s.concurrent_share - s.concurrent_count, 2147483647)) AS room
                FROM (SELECT DISTINCT c.quota_policy_id FROM cand c WHERE c.quota_policy_id IS NOT NULL) p
                CROSS JOIN LATERAL (
                    SELECT * FROM ff_quota_stripe s
                    WHERE s.quota_policy_id = p.quota_policy_id
                      AND (s.concurrent_count < s.concurrent_share OR s.concurrent_share IS NULL)
                      AND (s.window_count < s.window_share OR s.window_share IS NULL
                           OR EXISTS (SELECT 1 FROM ff_quota_window w
                                      WHERE w.quota_policy_id = s.quota_policy_id AND w.stripe = s.stripe
                                        AND w.admitted_at_ms <= $5 - s.window_ms))
                    -- Any stripe with room, not always the first: every release locks the stripe it
                    -- holds until commit, and holdings piled on one stripe made completions queue.
                    ORDER BY random()
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED) s
                LEFT JOIN LATERAL (
                    SELECT sum(w.admitted) AS expired FROM ff_quota_window w
                    WHERE w.quota_policy_id = s.quota_policy_id AND w.stripe = s.stripe
                      AND w.admitted_at_ms <= $5 - s.window_ms) x ON true
            ), adm AS (
                SELECT c.*, NULL::uuid AS held_quota, NULL::smallint AS held_stripe
                FROM cand c
                WHERE c.quota_policy_id IS NULL
                   OR NOT EXISTS (SELECT 1 FROM ff_quota_policy q WHERE q.quota_policy_id = c.quota_policy_id)
                UNION ALL
                SELECT c.partition_key, c.execution_id, c.attempt_index, c.attempt_state, c.ownership_state,
                       c.lease_epoch, c.attempt_timeout_ms, c.quota_policy_id, c.priority, c.created_at_ms,
                       r.quota_policy_id, r.stripe
                FROM (SELECT c.*, row_number() OVER (PARTITION BY c.quota_policy_id
                                                     ORDER BY c.priority DESC, c.created_at_ms) AS rn
                      FROM cand c WHERE c.quota_policy_id IS NOT NULL) c
                JOIN room r ON r.quota_policy_id = c.quota_policy_id
                WHERE c.rn <= r.room
            ), plan AS (
                SELECT c.partition_key, c.execution_id, c.lease_epoch + 1 AS epoch, c.attempt_timeout_ms, c.held_quota,
                       c.held_stripe,
                       CASE WHEN c.ownership_state IN ('lease_expired_reclaimable', 'lease_revoked')
                            THEN c.attempt_index + 1 ELSE c.attempt_index END AS idx,
                       CASE WHEN c.ownership_state IN ('lease_expired_reclaimable', 'lease_revoked') THEN 'reclaim'
                            WHEN c.attempt_state = 'attempt_interrupted' THEN 'resume'
                            WHEN c.attempt_state = 'pending_retry_attempt' THEN 'retry'
                            WHEN c.attempt_state = 'pending_replay_attempt' THEN 'replay'
                            ELSE 'initial' END AS claim_type
                FROM adm c
            ), att AS (
                INSERT INTO ff_attempt AS a (partition_key, execution_id, attempt_index, attempt_type, lease_epoch,
                    lease_id, worker_id, worker_instance_id, lease_expires_at_ms, timeout_at_ms, started_at_ms,
                    quota_policy_id, quota_stripe)
                SELECT p.partition_key, p.execution_id, p.idx,
                       CASE p.claim_type WHEN 'resume' THEN 'initial' ELSE p.claim_type END,
                       p.epoch, gen_random_uuid(), $6, $7, $5 + $8, $5 + p.attempt_timeout_ms, $5, p.held_quota,
                       p.held_stripe
                FROM plan p
                ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE SET
                    lease_epoch = GREATEST(a.lease_epoch + 1, EXCLUDED.lease_epoch),
                    lease_id = EXCLUDED.lease_id, worker_id = EXCLUDED.worker_id,
                    worker_instance_id = EXCLUDED.worker_instance_id,
                    lease_expires_at_ms = EXCLUDED.lease_expires_at_ms, timeout_at_ms = EXCLUDED.timeout_at_ms,
                    outcome = NULL, terminal_at_ms = NULL,
                    started_at_ms = COALESCE(a.started_at_ms, EXCLUDED.started_at_ms),
                    quota_policy_id = EXCLUDED.quota_policy_id, quota_stripe = EXCLUDED.quota_stripe
                RETURNING a.partition_key, a.execution_id, a.attempt_index, a.lease_epoch, a.lease_id,
                          a.lease_expires_at_ms, a.quota_policy_id AS held_quota, a.quota_stripe AS held_stripe
            ), upd AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'active', ownership_state = 'leased',
                       eligibility_state = 'not_applicable', attempt_state = 'running_attempt', blocking_reason = NULL,
                       attempt_index = att.attempt_index, lease_epoch = att.lease_epoch,
                       started_at_ms = COALESCE(e.started_at_ms, $5),
                       attempt_count = e.attempt_count + (p.claim_type <> 'resume')::int,
                       retry_count = e.retry_count + (p.claim_type = 'retry')::int,
                       reclaim_count = e.reclaim_count + (p.claim_type = 'reclaim')::int
                FROM att JOIN plan p ON p.partition_key = att.partition_key AND p.execution_id = att.execution_id
                WHERE e.partition_key = att.partition_key AND e.execution_id = att.execution_id
                RETURNING e.execution_id, e.partition_key, e.kind, e.input::text AS input, e.tags::text AS tags,
                          e.priority, e.created_at_ms, e.flow_id, e.lane_id, e.quota_policy_id, att.attempt_index, p.claim_type,
                          att.lease_id, att.lease_epoch, att.lease_expires_at_ms, att.held_quota, att.held_stripe
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.claimed', execution_id, flow_id, partition_key, $5,
                       jsonb_build_object('attempt_index', attempt_index, 'attempt_type', claim_type,
                                          'lease_epoch', lease_epoch, 'worker_id', $6::text,
                                          'worker_instance_id', $7::text)
                FROM upd
            )
            SELECT u.*, s.refused
            FROM (SELECT (SELECT count(*) FROM cand) - (SELECT count(*) FROM adm) AS refused) s
            LEFT JOIN upd u ON true
            """;

    /**
     * Counts admissions on the stripes the claim statement locked ($1..$3 aligned): prunes the
     * stripe's window of admissions older than the window, records the new ones, and moves the
     * counters. The stripes are still locked by this transaction, so the counters are its own.
     */
    static final String RECORD_QUOTA_ADMISSIONS = """
            WITH a AS (
                SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::int8[]) AS a(quota_policy_id, stripe, n)
            ), pruned AS (
                DELETE FROM ff_quota_window w USING a, ff_quota_stripe s
                WHERE w.quota_policy_id = a.quota_policy_id AND w.stripe = a.stripe
                  AND s.quota_policy_id = a.quota_policy_id AND s.stripe = a.stripe
                  AND w.admitted_at_ms <= $4 - s.window_ms
                RETURNING w.quota_policy_id, w.stripe, w.admitted
            ), p AS (
                SELECT quota_policy_id, stripe, sum(admitted) AS n FROM pruned GROUP BY quota_policy_id, stripe
            ), ins AS (
                INSERT INTO ff_quota_window AS w (quota_policy_id, stripe, admitted_at_ms, admitted)
                SELECT quota_policy_id, stripe, $4, n FROM a
                ON CONFLICT (quota_policy_id, stripe, admitted_at_ms) DO UPDATE SET admitted = w.admitted + EXCLUDED.admitted
            )
            UPDATE ff_quota_stripe s SET window_count = s.window_count - COALESCE(p.n, 0) + a.n,
                   concurrent_count = s.concurrent_count + a.n
            FROM a LEFT JOIN p ON p.quota_policy_id = a.quota_policy_id AND p.stripe = a.stripe
            WHERE s.quota_policy_id = a.quota_policy_id AND s.stripe = a.stripe
            """;

    /** Locks an active execution and its current attempt when the caller's fence matches a live lease. */
    static final String LOCK_EXECUTION_IF_FENCED = """
            SELECT e.partition_key, e.execution_id, e.attempt_index, e.retry_count, e.retry_policy::text AS retry_policy,
                   e.flow_id, e.lane_id
            FROM ff_exec_core e
            JOIN ff_attempt a ON a.partition_key = e.partition_key AND a.execution_id = e.execution_id
                             AND a.attempt_index = e.attempt_index
            WHERE e.execution_id = $1 AND e.lifecycle_phase = 'active'
              AND a.lease_id = $2 AND a.lease_epoch = $3 AND a.outcome IS NULL AND a.lease_expires_at_ms > $4
            FOR UPDATE OF e, a
            """;

    /** What the database knows of a refused caller: the execution, and the attempt holding its lease id. */
    static final String SELECT_FENCE_FACTS = """
            SELECT r.ord, r.execution_id AS requested_id, e.execution_id, e.lifecycle_phase, e.public_state,
                   e.terminal_outcome, a.attempt_index AS lease_attempt_index, a.lease_epoch AS lease_epoch,
                   a.outcome AS lease_outcome, a.lease_expires_at_ms AS lease_expires_at_ms,
                   a.next_attempt_at_ms AS lease_next_attempt_at_ms
            FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS r(execution_id, lease_id, ord)
            LEFT JOIN ff_exec_core e ON e.execution_id = r.execution_id
            LEFT JOIN ff_attempt a ON a.partition_key = e.partition_key AND a.execution_id = e.execution_id
                                  AND a.lease_id = r.lease_id
            ORDER BY r.ord
            """;

    /** Completes every listed execution whose fence matches; the others are left alone for diagnosis. */
    static final String COMPLETE_EXECUTIONS_IF_FENCED = """
            WITH req AS (
                SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int8[], $4::text[])
                    AS r(execution_id, lease_id, lease_epoch, result)
            ), f AS (
                SELECT e.partition_key, e.execution_id, e.attempt_index, r.result
                FROM req r
                JOIN ff_exec_core e ON e.execution_id = r.execution_id
                JOIN ff_attempt a ON a.partition_key = e.partition_key AND a.execution_id = e.execution_id
                                 AND a.attempt_index = e.attempt_index
                WHERE e.lifecycle_phase = 'active' AND a.lease_id = r.lease_id AND a.lease_epoch = r.lease_epoch
                  AND a.outcome IS NULL AND a.lease_expires_at_ms > $5
                ORDER BY e.execution_id
                FOR UPDATE OF e, a
            ), att AS (
                UPDATE ff_attempt a SET outcome = 'success', terminal_at_ms = $5, lease_expires_at_ms = NULL,
                       timeout_at_ms = NULL
                FROM f WHERE a.partition_key = f.partition_key AND a.execution_id = f.execution_id
                         AND a.attempt_index = f.attempt_index
                RETURNING a.partition_key, a.execution_id
            ), e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'terminal', ownership_state = 'unowned',
                       eligibility_state = 'not_applicable', attempt_state = 'attempt_terminal',
                       terminal_outcome = 'success', terminal_at_ms = $5, blocking_reason = NULL,
                       result = f.result::jsonb, lease_epoch = e.lease_epoch + 1
                FROM f JOIN att ON att.partition_key = f.partition_key AND att.execution_id = f.execution_id
                WHERE e.partition_key = f.partition_key AND e.execution_id = f.execution_id
                RETURNING %s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.completed', execution_id, flow_id, partition_key, $5,
                       jsonb_build_object('lane', lane_id, 'attempt_index', attempt_index)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    /** Ends the locked current attempt of a failed execution and schedules its retry. */
    static final String RETRY_EXECUTION_IF_ACTIVE = """
            WITH att AS (
                UPDATE ff_attempt a SET outcome = 'retry', terminal_at_ms = $3, lease_expires_at_ms = NULL,
                       timeout_at_ms = NULL, error = $4::text::jsonb, next_attempt_at_ms = $5
                WHERE a.partition_key = $1 AND a.execution_id = $2 AND a.attempt_index = $6 AND a.outcome IS NULL
                RETURNING a.attempt_index
            ), e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'runnable', ownership_state = 'unowned',
                       eligibility_state = CASE WHEN $5 > $3 THEN 'not_eligible_until_time' ELSE 'eligible_now' END,
                       blocking_reason = CASE WHEN $5 > $3 THEN 'waiting_for_retry_backoff' ELSE 'waiting_for_worker' END,
                       attempt_state = 'pending_retry_attempt', attempt_index = att.attempt_index + 1,
                       delay_until_ms = $5, last_error = $4::text::jsonb
                FROM att
                WHERE e.partition_key = $1 AND e.execution_id = $2 AND e.lifecycle_phase = 'active'
                RETURNING e.execution_id, e.flow_id, e.partition_key, e.lane_id, e.quota_policy_id, e.public_state,
                          e.eligibility_state
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.retry_scheduled', execution_id, flow_id, partition_key, $3,
                       jsonb_build_object('next_attempt_at_ms', $5, 'error', $4::text::jsonb, 'cause', $7::text)
                FROM e
            )
            SELECT * FROM e
            """;

    /**
     * Ends an execution with a terminal outcome from any non-terminal phase ($4 lists the phases
     * the caller expects). A live or parked current attempt gets attempt outcome $5.
     */
    static final String TERMINATE_EXECUTION_IF_IN_PHASE = """
            WITH t AS (
                SELECT e.partition_key, e.execution_id, e.attempt_index, e.lifecycle_phase AS prior_phase
                FROM ff_exec_core e
                WHERE e.execution_id = $1 AND e.lifecycle_phase = ANY($4::text[])
                FOR UPDATE
            ), att AS (
                UPDATE ff_attempt a SET outcome = CASE WHEN a.outcome IS NULL THEN $5 ELSE a.outcome END,
                       error = COALESCE($8::text::jsonb, a.error), lease_expires_at_ms = NULL, timeout_at_ms = NULL,
                       terminal_at_ms = COALESCE(a.terminal_at_ms, $2)
                FROM t WHERE a.partition_key = t.partition_key AND a.execution_id = t.execution_id
                         AND a.attempt_index = t.attempt_index
                RETURNING a.execution_id
            ), e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'terminal', ownership_state = 'unowned',
                       eligibility_state = 'not_applicable', attempt_state = 'attempt_terminal',
                       terminal_outcome = $3, terminal_at_ms = $2, blocking_reason = NULL,
                       cancel_reason = COALESCE($6, e.cancel_reason), last_error = COALESCE($8::text::jsonb, e.last_error),
                       lease_epoch = e.lease_epoch + 1
                FROM t WHERE e.partition_key = t.partition_key AND e.execution_id = t.execution_id
                RETURNING %s, t.prior_phase = 'active' AS lease_ended
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT $7, execution_id, flow_id, partition_key, $2,
                       jsonb_build_object('lane', lane_id, 'terminal_outcome', terminal_outcome,
                                          'reason', $6::text, 'error', $8::text::jsonb)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    static final String RENEW_LEASE_IF_FENCED = """
            WITH f AS (
                SELECT e.partition_key, e.execution_id, e.attempt_index, e.flow_id
                FROM ff_exec_core e
                JOIN ff_attempt a ON a.partition_key = e.partition_key AND a.execution_id = e.execution_id
                                 AND a.attempt_index = e.attempt_index
                WHERE e.execution_id = $1 AND e.lifecycle_phase = 'active'
                  AND a.lease_id = $2 AND a.lease_epoch = $3 AND a.outcome IS NULL AND a.lease_expires_at_ms > $4
                FOR UPDATE OF e, a
            ), att AS (
                UPDATE ff_attempt a SET lease_expires_at_ms = $4 + $5
                FROM f WHERE a.partition_key = f.partition_key AND a.execution_id = f.execution_id
                         AND a.attempt_index = f.attempt_index
                RETURNING a.partition_key, a.execution_id, a.lease_epoch, a.lease_expires_at_ms, f.flow_id
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.renewed', execution_id, flow_id, partition_key, $4,
                       jsonb_build_object('lease_expires_at_ms', lease_expires_at_ms, 'lease_epoch', lease_epoch)
                FROM att
            )
            SELECT lease_epoch, lease_expires_at_ms FROM att
            """;

    static final String RECORD_PROGRESS_IF_FENCED = """
            UPDATE ff_exec_core e SET progress_percent = COALESCE($5, e.progress_percent),
                   progress_message = COALESCE($6, e.progress_message)
            FROM ff_attempt a
            WHERE e.execution_id = $1 AND e.lifecycle_phase = 'active'
              AND a.partition_key = e.partition_key AND a.execution_id = e.execution_id
              AND a.attempt_index = e.attempt_index
              AND a.lease_id = $2 AND a.lease_epoch = $3 AND a.outcome IS NULL AND a.lease_expires_at_ms > $4
            RETURNING e.execution_id
            """;

    /** Parks the locked current attempt (it continues later as a {@code resume}) until $4. */
    static final String DELAY_EXECUTION_IF_ACTIVE = """
            WITH att AS (
                UPDATE ff_attempt a SET lease_expires_at_ms = NULL, timeout_at_ms = NULL
                WHERE a.partition_key = $1 AND a.execution_id = $2 AND a.attempt_index = $5 AND a.outcome IS NULL
                RETURNING a.attempt_index
            ), e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'runnable', ownership_state = 'unowned',
                       eligibility_state = CASE WHEN $4::int8 > $3::int8 THEN 'not_eligible_until_time' ELSE 'eligible_now' END,
                       blocking_reason = CASE WHEN $4::int8 > $3::int8 THEN 'waiting_for_delay' ELSE 'waiting_for_worker' END,
                       attempt_state = 'attempt_interrupted', delay_until_ms = $4::int8
                FROM att
                WHERE e.partition_key = $1 AND e.execution_id = $2 AND e.lifecycle_phase = 'active'
                RETURNING %s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.delayed', execution_id, flow_id, partition_key, $3,
                       jsonb_build_object('delay_until_ms', $4)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    static final String SET_PRIORITY_IF_WAITING = """
            WITH e AS (
                UPDATE ff_exec_core e SET priority = $2
                WHERE e.execution_id = $1 AND e.public_state IN ('waiting', 'delayed')
                RETURNING %s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.priority_changed', execution_id, flow_id, partition_key, $3,
                       jsonb_build_object('priority', priority)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    /** Makes a terminal execution runnable again; the next claim opens a new attempt of type replay. */
    static final String REPLAY_EXECUTION_IF_TERMINAL = """
            WITH e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'runnable', ownership_state = 'unowned',
                       eligibility_state = 'eligible_now', attempt_state = 'pending_replay_attempt',
                       blocking_reason = 'waiting_for_worker', terminal_outcome = NULL, terminal_at_ms = NULL,
                       result = NULL, last_error = NULL, cancel_reason = NULL, delay_until_ms = NULL,
                       progress_percent = NULL, progress_message = NULL,
                       attempt_index = e.attempt_index + (EXISTS (
                           SELECT 1 FROM ff_attempt a WHERE a.partition_key = e.partition_key
                              AND a.execution_id = e.execution_id AND a.attempt_index = e.attempt_index))::int
                WHERE e.execution_id = $1 AND e.lifecycle_phase = 'terminal'
                RETURNING %s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.replayed', execution_id, flow_id, partition_key, $2,
                       jsonb_build_object('reason', $3::text, 'attempt_index', attempt_index)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    /** An operator ends the live lease; the next claim is a reclaim (a new attempt). */
    static final String REVOKE_LEASE_IF_ACTIVE = """
            WITH t AS (
                SELECT e.partition_key, e.execution_id, e.attempt_index
                FROM ff_exec_core e WHERE e.execution_id = $1 AND e.lifecycle_phase = 'active'
                FOR UPDATE
            ), att AS (
                UPDATE ff_attempt a SET outcome = 'interrupted', lease_expires_at_ms = NULL, timeout_at_ms = NULL,
                       terminal_at_ms = $2
                FROM t WHERE a.partition_key = t.partition_key AND a.execution_id = t.execution_id
                         AND a.attempt_index = t.attempt_index
                RETURNING a.execution_id
            ), e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'runnable', ownership_state = 'lease_revoked',
                       eligibility_state = 'eligible_now', attempt_state = 'attempt_interrupted',
                       blocking_reason = 'waiting_for_worker', lease_epoch = e.lease_epoch + 1
                FROM t WHERE e.partition_key = t.partition_key AND e.execution_id = t.execution_id
                RETURNING %s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.lease_revoked', execution_id, flow_id, partition_key, $2,
                       jsonb_build_object('reason', $3::text, 'attempt_index', attempt_index)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    // ---- suspension --------------------------------------------------------------------------

    /**
     * Parks the locked current attempt on a suspension ($5 the blocking reason): the lease is
     * released, the attempt continues later (same index) when the suspension resumes.
     */
    static final String SUSPEND_EXECUTION_IF_ACTIVE = """
            WITH att AS (
                UPDATE ff_attempt a SET lease_expires_at_ms = NULL, timeout_at_ms = NULL
                WHERE a.partition_key = $1 AND a.execution_id = $2 AND a.attempt_index = $4 AND a.outcome IS NULL
                RETURNING a.attempt_index
            ), e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'suspended', ownership_state = 'unowned',
                       eligibility_state = 'not_applicable', attempt_state = 'attempt_interrupted',
                       blocking_reason = $5
                FROM att
                WHERE e.partition_key = $1 AND e.execution_id = $2 AND e.lifecycle_phase = 'active'
                RETURNING %s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.suspended', execution_id, flow_id, partition_key, $3,
                       jsonb_build_object('suspension_id', $6::uuid, 'reason', $5::text, 'attempt_index', attempt_index,
                                          'timeout_at_ms', $7::int8)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    /** A suspended execution whose condition was met (or timed out into a resume) is claimable again. */
    static final String RESUME_EXECUTION_IF_SUSPENDED = """
            WITH e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'runnable', ownership_state = 'unowned',
                       eligibility_state = 'eligible_now', attempt_state = 'attempt_interrupted',
                       blocking_reason = 'waiting_for_worker'
                WHERE e.partition_key = $1 AND e.execution_id = $2 AND e.lifecycle_phase = 'suspended'
                RETURNING %s
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.resumed', execution_id, flow_id, partition_key, $3,
                       jsonb_build_object('suspension_id', $4::uuid, 'cause', $5::text, 'attempt_index', attempt_index)
                FROM e
            )
            SELECT * FROM e
            """.formatted(EXEC_COLUMNS);

    static final String NOTIFY_WORK = "SELECT pg_notify('ff_work', $1)";

    // ---- sweeps -------------------------------------------------------------------------------

    /** Active executions whose lease lapsed become reclaimable; the old attempt ends. */
    static final String EXPIRE_LEASES_IF_LAPSED = """
            WITH due AS (
                SELECT e.partition_key, e.execution_id, e.attempt_index
                FROM ff_attempt a
                JOIN ff_exec_core e ON e.partition_key = a.partition_key AND e.execution_id = a.execution_id
                                   AND e.attempt_index = a.attempt_index
                WHERE a.lease_expires_at_ms <= $1 AND e.lifecycle_phase = 'active'
                ORDER BY a.lease_expires_at_ms
                LIMIT $2
                FOR UPDATE OF e, a SKIP LOCKED
            ), att AS (
                UPDATE ff_attempt a SET outcome = 'lease_expired', lease_expires_at_ms = NULL, timeout_at_ms = NULL,
                       terminal_at_ms = $1
                FROM due WHERE a.partition_key = due.partition_key AND a.execution_id = due.execution_id
                           AND a.attempt_index = due.attempt_index
                RETURNING a.partition_key, a.execution_id
            ), e AS (
                UPDATE ff_exec_core e SET lifecycle_phase = 'runnable', ownership_state = 'lease_expired_reclaimable',
                       eligibility_state = 'eligible_now', attempt_state = 'attempt_interrupted',
                       blocking_reason = 'waiting_for_worker'
                FROM att WHERE e.partition_key = att.partition_key AND e.execution_id = att.execution_id
                RETURNING e.execution_id, e.flow_id, e.partition_key, e.lane_id, e.quota_policy_id, e.public_state,
                          e.attempt_index
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'execution.lease_expired', execution_id, flow_id, partition_key, $1,
                       jsonb_build_object('attempt_index', attempt_index)
                FROM e
            )
            SELECT * FROM e
            """;

    static final String PROMOTE_DELAYED_IF_DUE = """
            WITH due AS (
                SELECT partition_key, execution_id FROM ff_exec_core
                WHERE eligibility_state = 'not_eligible_until_time' AND delay_until_ms <= $1
                  AND lifecycle_phase = 'runnable'
                ORDER BY delay_until_ms
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            ), e AS (
                UPDATE ff_exec_core e SET eligibility_state = 'eligible_now', blocking_reason = 'waiting_for_worker'
                FROM due WHERE e.partition_key = due.partition_key AND e.execution_id = due.execution_id
                RETURNING e.execution_id, e.flow_id, e.partition_key, e.lane_id, e.quota_policy_id, e.public_state
            )
            SELECT * FROM e
            """;

    /** Active executions whose attempt ran past its timeout, locked for the caller to decide. */
    static final String LOCK_TIMED_OUT_ATTEMPTS = """
            SELECT e.partition_key, e.execution_id, e.attempt_index, e.retry_count,
                   e.retry_policy::text AS retry_policy, e.flow_id, e.lane_id
            FROM ff_attempt a
            JOIN ff_exec_core e ON e.partition_key = a.partition_key AND e.execution_id = a.execution_id
                               AND e.attempt_index = a.attempt_index
            WHERE a.timeout_at_ms <= $1 AND a.lease_expires_at_ms IS NOT NULL AND e.lifecycle_phase = 'active'
            ORDER BY a.timeout_at_ms
            LIMIT $2
            FOR UPDATE OF e, a SKIP LOCKED
            """;

    static final String LOCK_PAST_DEADLINE = """
            SELECT e.execution_id
            FROM ff_exec_core e
            WHERE e.deadline_at_ms <= $1 AND e.lifecycle_phase <> 'terminal'
            ORDER BY e.deadline_at_ms
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """;
}

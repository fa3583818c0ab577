package dev.flowfabric.coordinator.store;

/**
 * SQL of suspensions, waitpoints and signals. Writers lock the execution row first (the fenced
 * lock, or {@link #LOCK_EXECUTION_FOR_SIGNAL}), then waitpoints and suspensions, like every
 * lifecycle statement; the sweeps skip what is locked.
 */
final class SuspensionSql {

    private SuspensionSql() {
    }

    static final String SELECT_SUSPENSION_BY_IDEMPOTENCY_KEY = """
            SELECT lease_id, lease_epoch, request_digest, response
            FROM ff_suspension WHERE execution_id = $1 AND idempotency_key = $2
            """;

    /** Pending waitpoints of one execution whose expiry passed before the sweep got to them. */
    static final String EXPIRE_DUE_PENDING_WAITPOINTS_OF_EXECUTION = """
            UPDATE ff_waitpoint SET state = 'expired', closed_at_ms = $2
            WHERE execution_id = $1 AND state = 'pending' AND expires_at_ms <= $2
            """;

    static final String LOCK_PENDING_WAITPOINTS_BY_KEY = """
            SELECT waitpoint_id, key, token_kid FROM ff_waitpoint
            WHERE execution_id = $1 AND key = ANY($2::text[]) AND state = 'pending'
            FOR UPDATE
            """;

    /** Signals accepted on the given waitpoints, oldest first, with their resume_signals form. */
    static final String SELECT_SIGNALS_OF_WAITPOINTS = """
            SELECT g.key, g.source, (%s)::text AS json FROM ff_signal g
            WHERE g.waitpoint_id = ANY($1::uuid[]) ORDER BY g.seq
            """.formatted(signalJson("g"));

    static final String SELECT_SIGNALS_OF_SUSPENSION = """
            SELECT g.key, g.source, (%s)::text AS json FROM ff_signal g
            WHERE g.suspension_id = $1 ORDER BY g.seq
            """.formatted(signalJson("g"));

    /**
     * Records a suspension ($5 active, or closed when already satisfied): attaches the pending
     * waitpoints $17 and their buffered signals, and creates the waitpoints ($18 ids, $19 keys).
     */
    static final String INSERT_SUSPENSION_WITH_WAITPOINTS = """
            WITH s AS (
                INSERT INTO ff_suspension (partition_key, suspension_id, execution_id, attempt_index, state,
                    close_reason, reason, condition, timeout_at_ms, on_timeout, lease_id, lease_epoch,
                    idempotency_key, request_digest, response, created_at_ms, closed_at_ms)
                VALUES ($1, $2, $3, $4, $5::text, $6, $7, $8::text::jsonb, $9::int8, $10, $11, $12, $13, $14, $15::text, $16::int8,
                        CASE WHEN $5::text = 'closed' THEN $16::int8 END)
                RETURNING suspension_id
            ), attached AS (
                UPDATE ff_waitpoint w SET state = $5::text, suspension_id = $2, activated_at_ms = $16::int8,
                       expires_at_ms = $9::int8, closed_at_ms = CASE WHEN $5::text = 'closed' THEN $16::int8 END
                WHERE w.execution_id = $3 AND w.waitpoint_id = ANY($17::uuid[])
                RETURNING w.waitpoint_id
            ), created AS (
                INSERT INTO ff_waitpoint (partition_key, waitpoint_id, execution_id, key, state, suspension_id,
                    token_kid, created_at_ms, expires_at_ms, activated_at_ms, closed_at_ms)
                SELECT $1, x.waitpoint_id, $3, x.key, $5::text, $2, $20, $16::int8, $9::int8, $16::int8,
                       CASE WHEN $5::text = 'closed' THEN $16::int8 END
                FROM unnest($18::uuid[], $19::text[]) AS x(waitpoint_id, key)
                RETURNING waitpoint_id
            ), buffered AS (
                UPDATE ff_signal g SET suspension_id = $2
                WHERE g.waitpoint_id = ANY($17::uuid[])
                RETURNING g.signal_id
            )
            SELECT (SELECT count(*) FROM s) AS suspensions, (SELECT count(*) FROM attached) AS attached,
                   (SELECT count(*) FROM created) AS created, (SELECT count(*) FROM buffered) AS buffered
            """;

    /** A waitpoint made before suspending; an open waitpoint of the same key wins (nothing inserted). */
    static final String INSERT_PENDING_WAITPOINT_IF_ABSENT = """
            INSERT INTO ff_waitpoint (partition_key, waitpoint_id, execution_id, key, state, token_kid,
                created_at_ms, expires_at_ms)
            VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)
            ON CONFLICT DO NOTHING
            RETURNING waitpoint_id, key, token_kid
            """;

    static final String SELECT_OPEN_WAITPOINT_BY_KEY = """
            SELECT waitpoint_id, key, token_kid FROM ff_waitpoint
            WHERE execution_id = $1 AND key = $2 AND state IN ('pending', 'active')
            """;

    /** Signals to one execution are applied one at a time, and after any fenced call in flight. */
    static final String LOCK_EXECUTION_FOR_SIGNAL = """
            SELECT partition_key, flow_id, lifecycle_phase FROM ff_exec_core WHERE execution_id = $1
            FOR NO KEY UPDATE
            """;

    static final String WAITPOINT_COLUMNS = """
            w.waitpoint_id, w.key, w.state, w.suspension_id, w.token_kid, w.expires_at_ms""";

    static final String SELECT_WAITPOINT_BY_ID = "SELECT " + WAITPOINT_COLUMNS
            + " FROM ff_waitpoint w WHERE w.execution_id = $1 AND w.waitpoint_id = $2";

    /** By key: the open waitpoint of that key, else the newest one that had it. */
    static final String SELECT_WAITPOINT_BY_KEY = """
            SELECT %s FROM ff_waitpoint w WHERE w.execution_id = $1 AND w.key = $2
            ORDER BY (w.state IN ('pending', 'active')) DESC, w.created_at_ms DESC, w.waitpoint_id
            LIMIT 1
            """.formatted(WAITPOINT_COLUMNS);

    static final String SELECT_SIGNAL_BY_IDEMPOTENCY_KEY = """
            SELECT signal_id FROM ff_signal WHERE execution_id = $1 AND idempotency_key = $2
            """;

    static final String INSERT_SIGNAL = """
            WITH g AS (
                INSERT INTO ff_signal (partition_key, signal_id, execution_id, waitpoint_id, key, suspension_id,
                    name, source, payload, idempotency_key, accepted_at_ms)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11)
                RETURNING signal_id, execution_id, partition_key
            ), ev AS (
                INSERT INTO ff_event (type, execution_id, flow_id, partition_key, at_ms, data)
                SELECT 'signal.accepted', g.execution_id, $12, g.partition_key, $11,
                       jsonb_build_object('signal_id', g.signal_id, 'waitpoint_id', $4::uuid, 'key', $5::text,
                                          'name', $7::text, 'source', $8::text, 'suspension_id', $6::uuid)
                FROM g
            )
            SELECT signal_id FROM g
            """;

    static final String SELECT_SUSPENSION = """
            SELECT suspension_id, execution_id, attempt_index, state, condition::text AS condition, on_timeout,
                   timeout_at_ms
            FROM ff_suspension WHERE suspension_id = $1
            """;

    /**
     * Resolves an active suspension ($3: satisfied or timeout); its open waitpoints become $4
     * (closed, or expired on timeout). $5: a resume claim is to pick up its signals.
     */
    static final String CLOSE_SUSPENSION_IF_ACTIVE = """
            WITH s AS (
                UPDATE ff_suspension SET state = 'closed', close_reason = $3, closed_at_ms = $2, resume_pending = $5
                WHERE suspension_id = $1 AND state = 'active'
                RETURNING suspension_id
            ), w AS (
                UPDATE ff_waitpoint w SET state = $4, closed_at_ms = $2
                FROM s WHERE w.suspension_id = s.suspension_id AND w.state IN ('pending', 'active')
                RETURNING w.waitpoint_id
            )
            SELECT (SELECT count(*) FROM s) AS closed, (SELECT count(*) FROM w) AS waitpoints
            """;

    /** The timeout's own signal, counted toward the suspension it resumes. */
    static final String INSERT_TIMEOUT_SIGNAL = """
            INSERT INTO ff_signal (partition_key, signal_id, execution_id, suspension_id, name, accepted_at_ms)
            VALUES ($1, $2, $3, $4, 'timeout', $5)
            """;

    /** Active suspensions past their timeout, with their executions, locked for the sweep. */
    static final String LOCK_TIMED_OUT_SUSPENSIONS = """
            SELECT s.partition_key, s.suspension_id, s.execution_id, s.on_timeout
            FROM ff_suspension s
            JOIN ff_exec_core e ON e.partition_key = s.partition_key AND e.execution_id = s.execution_id
            WHERE s.state = 'active' AND s.timeout_at_ms <= $1
            ORDER BY s.timeout_at_ms
            LIMIT $2
            FOR UPDATE OF e, s SKIP LOCKED
            """;

    static final String EXPIRE_PENDING_WAITPOINTS_IF_DUE = """
            WITH due AS (
                SELECT partition_key, waitpoint_id FROM ff_waitpoint
                WHERE state = 'pending' AND expires_at_ms <= $1
                ORDER BY expires_at_ms
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            )
            UPDATE ff_waitpoint w SET state = 'expired', closed_at_ms = $1
            FROM due WHERE w.partition_key = due.partition_key AND w.waitpoint_id = due.waitpoint_id
            """;

    /**
     * A resume claim takes the signals of the suspension that resumed its attempt (once: a later
     * resume of the same attempt, after a delay, carries none).
     */
    static final String TAKE_RESUME_SIGNALS = """
            WITH s AS (
                UPDATE ff_suspension s SET resume_pending = false
                FROM unnest($1::uuid[], $2::int[]) AS c(execution_id, attempt_index)
                WHERE s.execution_id = c.execution_id AND s.attempt_index = c.attempt_index AND s.resume_pending
                RETURNING s.suspension_id, s.execution_id
            )
            SELECT s.execution_id,
                   (SELECT COALESCE(json_agg(%s ORDER BY g.seq), '[]'::json)
                    FROM ff_signal g WHERE g.suspension_id = s.suspension_id)::text AS signals
            FROM s
            """.formatted(signalJson("g"));

    /**
     * Executions that ended ($1/$2 partition keys and ids) close their open waitpoints and
     * suspensions. Executions whose lease ended ($3/$4) tell the stream tails of attempts that have
     * output (payload {@code c|<execution_id>}), so they can report the end of the attempt.
     */
    static final String CLOSE_ON_EXECUTION_END = """
            WITH ended AS (
                SELECT * FROM unnest($1::smallint[], $2::uuid[]) AS x(partition_key, execution_id)
            ), w AS (
                UPDATE ff_waitpoint w SET state = 'closed', closed_at_ms = $5
                FROM ended WHERE w.execution_id = ended.execution_id AND w.state IN ('pending', 'active')
                RETURNING w.waitpoint_id
            ), s AS (
                UPDATE ff_suspension s SET state = 'closed', close_reason = COALESCE(s.close_reason, 'execution_ended'),
                       closed_at_ms = COALESCE(s.closed_at_ms, $5), resume_pending = false
                FROM ended WHERE s.execution_id = ended.execution_id AND (s.state = 'active' OR s.resume_pending)
                RETURNING s.suspension_id
            ), n AS (
                SELECT pg_notify('ff_stream', 'c|' || st.execution_id)
                FROM (SELECT DISTINCT st.execution_id FROM ff_stream st
                      JOIN unnest($3::smallint[], $4::uuid[]) AS x(partition_key, execution_id)
                        ON st.partition_key = x.partition_key AND st.execution_id = x.execution_id) st
            )
            SELECT (SELECT count(*) FROM w) AS waitpoints, (SELECT count(*) FROM s) AS suspensions,
                   (SELECT count(*) FROM n) AS notified
            """;

    private static String signalJson(String g) {
        return """
                json_build_object('signal_id', %1$s.signal_id, 'waitpoint_id', %1$s.waitpoint_id, 'key', %1$s.key,
                                  'name', %1$s.name, 'source', %1$s.source, 'payload', %1$s.payload,
                                  'accepted_at_ms', %1$s.accepted_at_ms)""".formatted(g);
    }
}

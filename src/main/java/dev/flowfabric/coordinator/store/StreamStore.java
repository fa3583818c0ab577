package dev.flowfabric.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Attempt output streams in SQL: fenced appends, summary merges, reads (api.md §5). */
@ApplicationScoped
public class StreamStore {

    /**
     * Appends a frame to attempt $2 when the caller holds its live lease. The exec row is share-
     * locked, so appends run side by side but never after the attempt ended (every transition
     * updates that row); the per-attempt counter row orders them. A summary frame is merged into
     * the summary document. The NOTIFY (delivered on commit) wakes tails on other replicas.
     */
    static final String APPEND_FRAME_IF_FENCED = """
            WITH f AS (
                SELECT e.partition_key, e.execution_id, e.attempt_index
                FROM ff_exec_core e
                JOIN ff_attempt a ON a.partition_key = e.partition_key AND a.execution_id = e.execution_id
                                 AND a.attempt_index = e.attempt_index
                WHERE e.execution_id = $1 AND e.attempt_index = $2 AND e.lifecycle_phase = 'active'
                  AND a.lease_id = $3 AND a.lease_epoch = $4 AND a.outcome IS NULL AND a.lease_expires_at_ms > $5
                FOR SHARE OF e
            ), s AS (
                INSERT INTO ff_stream AS s (partition_key, execution_id, attempt_index, last_seq, best_effort_count,
                    created_at_ms, last_append_at_ms)
                SELECT f.partition_key, f.execution_id, f.attempt_index, 1, ($7::text = 'best_effort')::int, $5, $5
                FROM f
                ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE
                    SET last_seq = s.last_seq + 1, best_effort_count = s.best_effort_count + EXCLUDED.best_effort_count,
                        last_append_at_ms = EXCLUDED.last_append_at_ms
                RETURNING s.partition_key, s.execution_id, s.attempt_index, s.last_seq, s.best_effort_count
            ), fr AS (
                INSERT INTO ff_stream_frame (partition_key, execution_id, attempt_index, seq, frame_type, mode, payload,
                    at_ms)
                SELECT s.partition_key, s.execution_id, s.attempt_index, s.last_seq, $6, $7::text, $8::text::jsonb, $5
                FROM s
                RETURNING seq
            ), sm AS (
                INSERT INTO ff_stream_summary AS m (partition_key, execution_id, attempt_index, document, version,
                    first_applied_at_ms, updated_at_ms)
                SELECT s.partition_key, s.execution_id, s.attempt_index, ff_merge_patch(NULL, $8::text::jsonb), 1, $5, $5
                FROM s WHERE $7::text = 'summary'
                ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE
                    SET document = ff_merge_patch(m.document, $8::text::jsonb), version = m.version + 1,
                        updated_at_ms = EXCLUDED.updated_at_ms
                RETURNING m.version
            ), n AS (
                SELECT pg_notify('ff_stream', 'f|' || $9::text || '|' || s.execution_id) FROM s
            )
            SELECT s.partition_key, s.last_seq, s.best_effort_count, (SELECT version FROM sm) AS summary_version,
                   (SELECT count(*) FROM fr) AS frames, (SELECT count(*) FROM n) AS notified
            FROM s
            """;

    /** Keeps the newest $4 best-effort frames of an attempt (durable and summary frames stay). */
    static final String TRIM_BEST_EFFORT_FRAMES = """
            WITH cut AS (
                SELECT seq FROM ff_stream_frame
                WHERE partition_key = $1 AND execution_id = $2 AND attempt_index = $3 AND mode = 'best_effort'
                ORDER BY seq DESC OFFSET $4 LIMIT 1
            ), gone AS (
                DELETE FROM ff_stream_frame d USING cut
                WHERE d.partition_key = $1 AND d.execution_id = $2 AND d.attempt_index = $3
                  AND d.mode = 'best_effort' AND d.seq <= cut.seq
                RETURNING d.seq
            )
            UPDATE ff_stream SET best_effort_count = best_effort_count - (SELECT count(*) FROM gone)
            WHERE partition_key = $1 AND execution_id = $2 AND attempt_index = $3
            """;

    /**
     * Frames of attempt $2 after seq $3 (at most $4) and, from the same snapshot, whether the
     * attempt ended: it did once its outcome is set, a later attempt began, or the execution ended.
     * One row per frame, or one row without a frame; none when the execution does not exist.
     */
    static final String SELECT_FRAMES = """
            SELECT e.partition_key, e.lifecycle_phase, e.public_state, e.terminal_outcome,
                   e.attempt_index AS current_attempt, a.attempt_index AS attempt, a.outcome, f.seq, f.frame
            FROM ff_exec_core e
            LEFT JOIN ff_attempt a ON a.partition_key = e.partition_key AND a.execution_id = e.execution_id
                                  AND a.attempt_index = $2
            LEFT JOIN LATERAL (
                SELECT x.seq, json_build_object('seq', x.seq, 'frame_type', x.frame_type, 'payload', x.payload,
                                                'mode', x.mode, 'at_ms', x.at_ms)::text AS frame
                FROM ff_stream_frame x
                WHERE x.partition_key = e.partition_key AND x.execution_id = e.execution_id
                  AND x.attempt_index = $2 AND x.seq > $3
                ORDER BY x.seq
                LIMIT $4
            ) f ON true
            WHERE e.execution_id = $1
            ORDER BY f.seq
            """;

    static final String SELECT_SUMMARY = """
            SELECT e.attempt_index AS current_attempt, s.attempt_index, s.document::text AS document, s.version,
                   s.updated_at_ms
            FROM ff_exec_core e
            LEFT JOIN ff_stream_summary s ON s.partition_key = e.partition_key AND s.execution_id = e.execution_id
                                         AND s.attempt_index = COALESCE($2, e.attempt_index)
            WHERE e.execution_id = $1
            """;

    /** What an accepted append produced. */
    public record Appended(short partitionKey, long seq, int bestEffortCount, Long summaryVersion) { }

    /** The state of an attempt's stream as one read saw it. */
    public record AttemptStatus(short partitionKey, String lifecyclePhase, String publicState, String terminalOutcome,
                                int currentAttempt, boolean attemptExists, String attemptOutcome) {
        /** The attempt ended: no frame follows the ones read with this status. */
        public boolean closed(int attempt) {
            return attemptOutcome != null || currentAttempt > attempt || "terminal".equals(lifecyclePhase);
        }

        /** Why it ended: the attempt's outcome, else the execution's. */
        public String closedReason() {
            return attemptOutcome != null ? attemptOutcome : terminalOutcome != null ? terminalOutcome : "ended";
        }
    }

    /** One frame: its seq and its JSON form. */
    public record Frame(long seq, String json) { }

    public record Page(AttemptStatus status, List<Frame> frames) { }

    public record Summary(int currentAttempt, boolean exists, String documentJson, long version, Long updatedAtMs) { }

    public Uni<Optional<Appended>> append(SqlClient c, UUID executionId, int attempt, UUID leaseId, long leaseEpoch,
                                          long now, String frameType, String mode, String payloadJson,
                                          String replicaId) {
        return Sql.one(c, APPEND_FRAME_IF_FENCED, r -> new Appended(r.getShort("partition_key"), r.getLong("last_seq"),
                        r.getInteger("best_effort_count"), r.getLong("summary_version")),
                executionId, attempt, leaseId, leaseEpoch, now, frameType, mode, payloadJson, replicaId);
    }

    public Uni<Void> trimBestEffort(SqlClient c, short partitionKey, UUID executionId, int attempt, int keep) {
        return Sql.run(c, TRIM_BEST_EFFORT_FRAMES, partitionKey, executionId, attempt, keep).replaceWithVoid();
    }

    /** Empty when the execution does not exist. */
    public Uni<Optional<Page>> frames(SqlClient c, UUID executionId, int attempt, long after, int limit) {
        return Sql.run(c, SELECT_FRAMES, executionId, attempt, after, limit).map(rows -> {
            AttemptStatus status = null;
            List<Frame> frames = new ArrayList<>();
            for (Row r : rows) {
                if (status == null) {
                    status = new AttemptStatus(r.getShort("partition_key"), r.getString("lifecycle_phase"),
                            r.getString("public_state"), r.getString("terminal_outcome"),
                            r.getInteger("current_attempt"), r.getInteger("attempt") != null, r.getString("outcome"));
                }
                if (r.getLong("seq") != null) {
                    frames.add(new Frame(r.getLong("seq"), r.getString("frame")));
                }
            }
            return status == null ? Optional.<Page>empty() : Optional.of(new Page(status, frames));
        });
    }

    /** The summary of attempt {@code attempt} (null: the current one); empty when the execution does not exist. */
    public Uni<Optional<Summary>> summary(SqlClient c, UUID executionId, Integer attempt) {
        return Sql.one(c, SELECT_SUMMARY, r -> new Summary(r.getInteger("current_attempt"),
                r.getInteger("attempt_index") != null, r.getString("document"),
                r.getLong("version") == null ? 0 : r.getLong("version"), r.getLong("updated_at_ms")),
                executionId, attempt);
    }
}

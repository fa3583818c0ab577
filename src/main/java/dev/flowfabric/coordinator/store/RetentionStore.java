package dev.flowfabric.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * SQL of the retention sweep: which terminal executions, finished flows and old events may go,
 * and deleting them with every row kept for them. Candidates are locked with SKIP LOCKED, so
 * replicas sweeping at once share the work and a row some transition holds is left for the next
 * sweep; a locked execution cannot be replayed, joined or signalled until the delete commits.
 */
@ApplicationScoped
public class RetentionStore {

    /** An execution row, by its primary key. */
    public record ExecutionKey(short partitionKey, UUID executionId) { }

    /** A finished flow picked for deletion and how many members it has. */
    public record FlowCandidate(short partitionKey, UUID flowId, long members) { }

    /** A flow whose members are all locked and due: it can go whole. */
    public record DueFlow(short partitionKey, UUID flowId, List<ExecutionKey> members) { }

    /** One window of the event log: how many rows it held, the last id in it, how many went. */
    public record EventWindow(int scanned, long lastEventId, int deleted) { }

    /** Terminal executions outside any flow whose end is older than $1, oldest first. */
    static final String LOCK_DUE_SOLO_EXECUTIONS = """
            SELECT partition_key, execution_id FROM ff_exec_core
            WHERE lifecycle_phase = 'terminal' AND flow_id IS NULL AND terminal_at_ms < $1
            ORDER BY terminal_at_ms
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """;

    /**
     * Finished flows that ended before $1 and whose members all ended before $1 as well, oldest
     * first, with their member counts (so a batch can stop short of a huge flow's neighbours).
     */
    static final String LOCK_DUE_FLOWS = """
            WITH f AS (
                SELECT f.partition_key, f.flow_id, f.terminal_at_ms FROM ff_flow_core f
                WHERE f.public_flow_state IN ('completed', 'failed', 'cancelled') AND f.terminal_at_ms < $1
                  AND NOT EXISTS (SELECT 1 FROM ff_exec_core e
                                  WHERE e.flow_id = f.flow_id
                                    AND (e.lifecycle_phase <> 'terminal' OR e.terminal_at_ms IS NULL
                                         OR e.terminal_at_ms >= $1))
                ORDER BY f.terminal_at_ms
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            )
            SELECT f.partition_key, f.flow_id,
                   (SELECT count(*) FROM ff_exec_core e WHERE e.flow_id = f.flow_id) AS members
            FROM f ORDER BY f.terminal_at_ms, f.flow_id
            """;

    /**
     * Locks the due members of the flows given (their rows were locked by the caller) and answers
     * the flows whose every member it locked. This statement reads after the flow locks were
     * taken, so it sees any member a transition changed meanwhile; a member it could not lock, or
     * that is no longer terminal and old, keeps its whole flow for a later sweep.
     */
    static final String LOCK_MEMBERS_OF_DUE_FLOWS = """
            WITH m AS MATERIALIZED (
                SELECT e.partition_key, e.flow_id, e.execution_id FROM ff_exec_core e
                WHERE e.flow_id = ANY($2::uuid[]) AND e.lifecycle_phase = 'terminal' AND e.terminal_at_ms < $3
                FOR UPDATE SKIP LOCKED
            ), f AS (
                SELECT * FROM unnest($1::smallint[], $2::uuid[]) AS f(partition_key, flow_id)
            )
            SELECT f.partition_key, f.flow_id,
                   COALESCE(array_agg(m.partition_key) FILTER (WHERE m.execution_id IS NOT NULL), '{}')
                       AS member_partition_keys,
                   COALESCE(array_agg(m.execution_id) FILTER (WHERE m.execution_id IS NOT NULL), '{}') AS members
            FROM f LEFT JOIN m ON m.flow_id = f.flow_id
            WHERE NOT EXISTS (SELECT 1 FROM ff_exec_core e
                              WHERE e.flow_id = f.flow_id
                                AND NOT EXISTS (SELECT 1 FROM m WHERE m.execution_id = e.execution_id))
            GROUP BY f.partition_key, f.flow_id
            """;

    /**
     * Deletes executions (the caller holds their rows) with everything kept for them: attempts,
     * suspensions, waitpoints, signals, streams, frames, summaries, budget ledger rows, edges and
     * join groups they are an end of, and owed flow cancels naming them. Returns how many went.
     */
    static final String DELETE_EXECUTIONS = """
            WITH x AS (
                SELECT * FROM unnest($1::smallint[], $2::uuid[]) AS x(partition_key, execution_id)
            ), attempts AS (
                DELETE FROM ff_attempt a USING x
                WHERE a.partition_key = x.partition_key AND a.execution_id = x.execution_id
            ), suspensions AS (
                DELETE FROM ff_suspension s USING x
                WHERE s.execution_id = x.execution_id AND s.partition_key = x.partition_key
            ), waitpoints AS (
                DELETE FROM ff_waitpoint w USING x
                WHERE w.execution_id = x.execution_id AND w.partition_key = x.partition_key
            ), signals AS (
                DELETE FROM ff_signal s USING x
                WHERE s.execution_id = x.execution_id AND s.partition_key = x.partition_key
            ), streams AS (
                DELETE FROM ff_stream s USING x
                WHERE s.partition_key = x.partition_key AND s.execution_id = x.execution_id
            ), frames AS (
                DELETE FROM ff_stream_frame f USING x
                WHERE f.partition_key = x.partition_key AND f.execution_id = x.execution_id
            ), summaries AS (
                DELETE FROM ff_stream_summary s USING x
                WHERE s.partition_key = x.partition_key AND s.execution_id = x.execution_id
            ), ledger AS (
                DELETE FROM ff_budget_exec_usage l USING x WHERE l.execution_id = x.execution_id
            ), edges AS (
                -- one index lookup per end (an OR of the two would scan the whole partition)
                DELETE FROM ff_edge e WHERE (e.partition_key, e.edge_id) IN (
                    SELECT u.partition_key, u.edge_id FROM ff_edge u
                    JOIN x ON u.partition_key = x.partition_key AND u.upstream_id = x.execution_id
                    UNION ALL
                    SELECT d.partition_key, d.edge_id FROM ff_edge d
                    JOIN x ON d.partition_key = x.partition_key AND d.downstream_id = x.execution_id)
            ), groups AS (
                DELETE FROM ff_edge_group g USING x
                WHERE g.partition_key = x.partition_key AND g.downstream_id = x.execution_id
            ), core AS (
                DELETE FROM ff_exec_core e USING x
                WHERE e.partition_key = x.partition_key AND e.execution_id = x.execution_id
                RETURNING e.partition_key, e.flow_id, e.execution_id
            ), owed AS (
                DELETE FROM ff_cancel_backlog_member m USING core
                WHERE m.partition_key = core.partition_key AND m.flow_id = core.flow_id
                  AND m.execution_id = core.execution_id
            )
            SELECT count(*)::int AS deleted FROM core
            """;

    /**
     * Deletes flow headers (the caller holds them and deleted their members first) with their
     * edges and cancel backlog. Returns how many flows went.
     */
    static final String DELETE_FLOWS = """
            WITH f AS (
                SELECT * FROM unnest($1::smallint[], $2::uuid[]) AS f(partition_key, flow_id)
            ), edges AS (
                DELETE FROM ff_edge e USING f WHERE e.flow_id = f.flow_id AND e.partition_key = f.partition_key
            ), backlog AS (
                DELETE FROM ff_cancel_backlog b USING f
                WHERE b.partition_key = f.partition_key AND b.flow_id = f.flow_id
            ), owed AS (
                DELETE FROM ff_cancel_backlog_member m USING f
                WHERE m.partition_key = f.partition_key AND m.flow_id = f.flow_id
            ), core AS (
                DELETE FROM ff_flow_core c USING f
                WHERE c.partition_key = f.partition_key AND c.flow_id = f.flow_id
                RETURNING 1
            )
            SELECT count(*)::int AS deleted FROM core
            """;

    /**
     * One window of the log after id $1 up to id $2 (inclusive), oldest first: deletes the events
     * in it that are older than $4. The window moves on past younger events, so an event stamped
     * late does not hold back the ones after it.
     */
    static final String DELETE_OLD_EVENTS = """
            WITH w AS MATERIALIZED (
                SELECT event_id, at_ms FROM ff_event
                WHERE event_id > $1 AND event_id <= $2
                ORDER BY event_id
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ), d AS (
                DELETE FROM ff_event e USING w WHERE e.event_id = w.event_id AND w.at_ms < $4
                RETURNING e.event_id
            )
            SELECT (SELECT count(*)::int FROM w) AS scanned,
                   (SELECT COALESCE(max(event_id), 0) FROM w) AS last_event_id,
                   (SELECT count(*)::int FROM d) AS deleted
            """;

    static final String SELECT_RELAY_CURSOR = "SELECT last_event_id FROM ff_event_relay WHERE relay = $1";

    public Uni<List<ExecutionKey>> lockDueSoloExecutions(SqlClient c, long endedBefore, int limit) {
        return Sql.list(c, LOCK_DUE_SOLO_EXECUTIONS,
                r -> new ExecutionKey(r.getShort("partition_key"), r.getUUID("execution_id")), endedBefore, limit);
    }

    public Uni<List<FlowCandidate>> lockDueFlows(SqlClient c, long endedBefore, int limit) {
        return Sql.list(c, LOCK_DUE_FLOWS, r -> new FlowCandidate(r.getShort("partition_key"), r.getUUID("flow_id"),
                r.getLong("members")), endedBefore, limit);
    }

    public Uni<List<DueFlow>> lockMembers(SqlClient c, List<FlowCandidate> flows, long endedBefore) {
        return Sql.list(c, LOCK_MEMBERS_OF_DUE_FLOWS, RetentionStore::dueFlow,
                flows.stream().map(FlowCandidate::partitionKey).toArray(Short[]::new),
                flows.stream().map(FlowCandidate::flowId).toArray(UUID[]::new), endedBefore);
    }

    public Uni<Integer> deleteExecutions(SqlClient c, List<ExecutionKey> executions) {
        if (executions.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return Sql.one(c, DELETE_EXECUTIONS, r -> r.getInteger("deleted"),
                executions.stream().map(ExecutionKey::partitionKey).toArray(Short[]::new),
                executions.stream().map(ExecutionKey::executionId).toArray(UUID[]::new))
                .map(Optional::orElseThrow);
    }

    public Uni<Integer> deleteFlows(SqlClient c, List<DueFlow> flows) {
        if (flows.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return Sql.one(c, DELETE_FLOWS, r -> r.getInteger("deleted"),
                flows.stream().map(DueFlow::partitionKey).toArray(Short[]::new),
                flows.stream().map(DueFlow::flowId).toArray(UUID[]::new))
                .map(Optional::orElseThrow);
    }

    public Uni<EventWindow> deleteOldEvents(SqlClient c, long after, long upTo, int limit, long olderThan) {
        return Sql.one(c, DELETE_OLD_EVENTS, r -> new EventWindow(r.getInteger("scanned"), r.getLong("last_event_id"),
                r.getInteger("deleted")), after, upTo, limit, olderThan).map(Optional::orElseThrow);
    }

    /** The last event id the relay published (and the broker acknowledged); 0 if it never ran. */
    public Uni<Long> relayCursor(SqlClient c, String relay) {
        return Sql.one(c, SELECT_RELAY_CURSOR, r -> r.getLong("last_event_id"), relay).map(o -> o.orElse(0L));
    }

    private static DueFlow dueFlow(Row r) {
        Short[] partitions = r.getArrayOfShorts("member_partition_keys");
        UUID[] ids = r.getArrayOfUUIDs("members");
        List<ExecutionKey> members = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            members.add(new ExecutionKey(partitions[i], ids[i]));
        }
        return new DueFlow(r.getShort("partition_key"), r.getUUID("flow_id"), members);
    }
}

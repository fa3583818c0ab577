package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.Event;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SQL of the event log: reads below a safe horizon, and the outbox relay's cursor and lease. */
@ApplicationScoped
public class EventStore {

    /** Filters of an event read; null means any. */
    public record Filter(String type, UUID flowId, UUID executionId) {
        public static final Filter NONE = new Filter(null, null, null);
    }

    /**
     * The newest visible id and the transactions in flight when it was read. Every id up to it is
     * final once all of them ended (an id is drawn only after its transaction got an xid).
     */
    public record HorizonProbe(long maxEventId, String xmin, String xmax) {
        public boolean settled() {
            return xmin.equals(xmax);
        }
    }

    static final String PROBE_HORIZON = """
            SELECT COALESCE((SELECT max(event_id) FROM ff_event), 0) AS max_event_id,
                   pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
                   pg_snapshot_xmax(pg_current_snapshot())::text AS xmax
            """;

    static final String SELECT_SETTLED = "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::text::xid8 AS settled";

    private static final String EVENT_COLUMNS =
            "event_id, type, execution_id, flow_id, partition_key, at_ms, data::text AS data";

    static final String SELECT_EVENTS = """
            SELECT %s FROM ff_event
            WHERE event_id > $1 AND event_id <= $2 AND ($3::text IS NULL OR type = $3)
            ORDER BY event_id LIMIT $4
            """.formatted(EVENT_COLUMNS);

    static final String SELECT_EVENTS_OF_EXECUTION = """
            SELECT %s FROM ff_event
            WHERE execution_id = $5 AND event_id > $1 AND event_id <= $2 AND ($3::text IS NULL OR type = $3)
              AND ($6::uuid IS NULL OR flow_id = $6)
            ORDER BY event_id LIMIT $4
            """.formatted(EVENT_COLUMNS);

    static final String SELECT_EVENTS_OF_FLOW = """
            SELECT %s FROM ff_event
            WHERE flow_id = $5 AND event_id > $1 AND event_id <= $2 AND ($3::text IS NULL OR type = $3)
            ORDER BY event_id LIMIT $4
            """.formatted(EVENT_COLUMNS);

    /** Takes or renews the relay's lease; returns its cursor when this replica holds the lease. */
    static final String LEASE_RELAY = """
            INSERT INTO ff_event_relay AS r (relay, owner, lease_until_ms, updated_at_ms)
            VALUES ($1, $2, $3::int8 + $4::int8, $3::int8)
            ON CONFLICT (relay) DO UPDATE SET owner = EXCLUDED.owner, lease_until_ms = EXCLUDED.lease_until_ms
            WHERE r.owner = EXCLUDED.owner OR r.lease_until_ms < $3::int8
            RETURNING last_event_id
            """;

    /** Records the relay's progress, only while this replica still holds the lease at that cursor. */
    static final String ADVANCE_RELAY_IF_OWNER = """
            UPDATE ff_event_relay SET last_event_id = $4, updated_at_ms = $5
            WHERE relay = $1 AND owner = $2 AND last_event_id = $3
            """;

    static final String NOTIFY_EVENTS = "SELECT pg_notify('ff_event', $1)";

    public Uni<HorizonProbe> probe(SqlClient c) {
        return Sql.one(c, PROBE_HORIZON, r -> new HorizonProbe(r.getLong("max_event_id"), r.getString("xmin"),
                r.getString("xmax"))).map(Optional::orElseThrow);
    }

    /** True once every transaction in flight at the probe has ended. */
    public Uni<Boolean> settled(SqlClient c, HorizonProbe probe) {
        return Sql.one(c, SELECT_SETTLED, r -> r.getBoolean("settled"), probe.xmax()).map(Optional::orElseThrow);
    }

    /** Events after {@code after} up to {@code upTo} (inclusive), oldest first. */
    public Uni<List<Event>> list(SqlClient c, long after, long upTo, Filter f, int limit) {
        if (f.executionId() != null) {
            return Sql.list(c, SELECT_EVENTS_OF_EXECUTION, EventStore::event, after, upTo, f.type(), limit,
                    f.executionId(), f.flowId());
        }
        if (f.flowId() != null) {
            return Sql.list(c, SELECT_EVENTS_OF_FLOW, EventStore::event, after, upTo, f.type(), limit, f.flowId());
        }
        return Sql.list(c, SELECT_EVENTS, EventStore::event, after, upTo, f.type(), limit);
    }

    public Uni<Optional<Long>> leaseRelay(SqlClient c, String relay, String owner, long now, long leaseMs) {
        return Sql.one(c, LEASE_RELAY, r -> r.getLong("last_event_id"), relay, owner, now, leaseMs);
    }

    public Uni<Boolean> advanceRelay(SqlClient c, String relay, String owner, long from, long to, long now) {
        return Sql.run(c, ADVANCE_RELAY_IF_OWNER, relay, owner, from, to, now).map(rows -> rows.rowCount() == 1);
    }

    /** Tells every replica's event streams that the log grew up to {@code horizon}. */
    public Uni<Void> notifyEvents(SqlClient c, long horizon) {
        return Sql.run(c, NOTIFY_EVENTS, Long.toString(horizon)).replaceWithVoid();
    }

    private static Event event(Row r) {
        return new Event(r.getLong("event_id"), r.getString("type"), r.getUUID("execution_id"), r.getUUID("flow_id"),
                r.getShort("partition_key"), r.getLong("at_ms"), r.getString("data"));
    }
}

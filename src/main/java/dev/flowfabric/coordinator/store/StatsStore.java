package dev.flowfabric.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/** Counts for the operations gauges. */
@ApplicationScoped
public class StatsStore {

    /** Unfinished executions by lane and public state; terminal rows grow forever and are not a queue. */
    static final String SELECT_QUEUE_DEPTH = """
            SELECT lane_id, public_state, count(*) AS depth
            FROM ff_exec_core
            WHERE lifecycle_phase <> 'terminal'
            GROUP BY lane_id, public_state
            """;

    /** A recount must never hold a connection for long: it gives up and the gauge keeps its last value. */
    static final String LIMIT_STATEMENT_TIME = "SET LOCAL statement_timeout = 5000";

    public record Depth(String lane, String publicState, long depth) { }

    public Uni<List<Depth>> queueDepth(Pool pool) {
        return pool.withTransaction(c -> Sql.run(c, LIMIT_STATEMENT_TIME).flatMap(ignored -> Sql.list(c,
                SELECT_QUEUE_DEPTH, r -> new Depth(r.getString("lane_id"), r.getString("public_state"),
                        r.getLong("depth")))));
    }
}

package dev.flowfabric.coordinator.support;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Direct SQL on the test database, for seeding rows and reading stored columns. */
@ApplicationScoped
public class Db {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Pool pool;

    Db(Pool pool) {
        this.pool = pool;
    }

    public RowSet<Row> run(String sql, Object... args) {
        return pool.preparedQuery(sql).execute(Tuple.from(Arrays.asList(args))).await().atMost(TIMEOUT);
    }

    public int update(String sql, Object... args) {
        return run(sql, args).rowCount();
    }

    /** Rows as maps of column name to value. */
    public List<Map<String, Object>> rows(String sql, Object... args) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : run(sql, args)) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 0; i < r.size(); i++) {
                row.put(r.getColumnName(i), r.getValue(i));
            }
            out.add(row);
        }
        return out;
    }

    public Map<String, Object> row(String sql, Object... args) {
        List<Map<String, Object>> rows = rows(sql, args);
        if (rows.size() != 1) {
            throw new AssertionError("expected one row, got " + rows.size() + " for " + sql);
        }
        return rows.get(0);
    }

    /** The stored state vector and bookkeeping columns of one execution. */
    public Map<String, Object> execCore(UUID id) {
        return row("""
                SELECT lifecycle_phase, ownership_state, eligibility_state, public_state, attempt_state,
                       terminal_outcome, blocking_reason, attempt_index, lease_epoch, started_at_ms, terminal_at_ms,
                       delay_until_ms, attempt_count, retry_count, reclaim_count
                FROM ff_exec_core WHERE execution_id = $1""", id);
    }

    /** The stored attempt rows of one execution, by index. */
    public List<Map<String, Object>> attemptRows(UUID id) {
        return rows("""
                SELECT attempt_index, attempt_type, lease_epoch, lease_id::text AS lease_id, outcome,
                       lease_expires_at_ms, started_at_ms, terminal_at_ms, next_attempt_at_ms
                FROM ff_attempt WHERE execution_id = $1 ORDER BY attempt_index""", id);
    }
}

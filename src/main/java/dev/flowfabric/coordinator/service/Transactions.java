package dev.flowfabric.coordinator.service;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.function.Function;

/**
 * One use case, one transaction. Postgres may pick a transaction as a deadlock or serialization
 * victim when joins, cancels and completions of one flow cross; the victim rolled back whole, so
 * running it again is safe, and a few quick tries hide the collision from the client.
 */
@ApplicationScoped
public class Transactions {

    private final Pool pool;

    Transactions(Pool pool) {
        this.pool = pool;
    }

    public <T> Uni<T> run(Function<SqlConnection, Uni<T>> work) {
        return pool.withTransaction(work)
                .onFailure(Transactions::collided).retry()
                .withBackOff(Duration.ofMillis(5), Duration.ofMillis(50)).atMost(3);
    }

    /**
     * For sweeps. The service's connections keep one generic plan per statement, so the hot path is
     * never re-planned; but a sweep selects by a time bound, and a generic plan, blind to how few rows
     * are due, hash-joined whole tables (24 ms per lease-expiry tick at 45,000 rows, growing with the
     * table). A sweep's transaction plans for its actual parameters.
     */
    public <T> Uni<T> runWithCustomPlans(Function<SqlConnection, Uni<T>> work) {
        return run(c -> c.query(SET_CUSTOM_PLANS).execute().chain(ignored -> work.apply(c)));
    }

    static final String SET_CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan";

    static boolean collided(Throwable e) {
        return e instanceof PgException p && ("40P01".equals(p.getSqlState()) || "40001".equals(p.getSqlState()));
    }
}

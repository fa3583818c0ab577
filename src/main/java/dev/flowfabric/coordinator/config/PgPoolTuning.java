package dev.flowfabric.coordinator.config;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.core.Future;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Builds the reactive pool Quarkus would build, with one change: the prepared-statement cache
 * keeps statements of any length. Vert.x skips caching SQL longer than 2,048 characters by
 * default, and the claim and transition statements are CTEs several times that long, so every
 * call was parsed and planned afresh: about a third of Postgres' CPU in the single-claim benchmark.
 */
@Singleton
public class PgPoolTuning implements PgPoolCreator {

    static final int STATEMENT_CACHE_SQL_LIMIT = 64 * 1024;

    @Override
    public Pool create(Input input) {
        List<PgConnectOptions> servers = input.pgConnectOptionsList();
        servers.forEach(options -> options.setPreparedStatementCacheSqlLimit(STATEMENT_CACHE_SQL_LIMIT));
        // Several URLs are taken in turn, as Quarkus does.
        AtomicInteger next = new AtomicInteger();
        Supplier<Future<SqlConnectOptions>> roundRobin = () -> Future.succeededFuture(
                servers.get(Math.floorMod(next.getAndIncrement(), servers.size())));
        return PgBuilder.pool().with(input.poolOptions()).connectingTo(roundRobin).using(input.vertx()).build();
    }
}

package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Claimed;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.store.ExecutionStore;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.Comparator;
import java.util.List;

/** Hands runnable executions of a lane to a worker, waiting up to {@code wait_ms} for work. */
@ApplicationScoped
public class ClaimService {

    private static final Comparator<Claimed> CLAIM_ORDER = Comparator.comparingInt(Claimed::priority).reversed()
            .thenComparingLong(Claimed::createdAtMs);

    private final Pool pool;
    private final ExecutionStore store;
    private final WorkSignals signals;
    private final TransitionHooks hooks;
    private final Clock clock;
    private final FlowMetrics metrics;
    private final long pollIntervalMs;

    ClaimService(Pool pool, ExecutionStore store, WorkSignals signals, TransitionHooks hooks, Clock clock,
                 FlowfabricConfig config, FlowMetrics metrics) {
        this.metrics = metrics;
        this.hooks = hooks;
        this.pool = pool;
        this.store = store;
        this.signals = signals;
        this.clock = clock;
        this.pollIntervalMs = config.claim().pollIntervalMs();
    }

    public Uni<List<Claimed>> claim(ExecutionStore.ClaimQuery query, long waitMs) {
        return claimUntil(query, clock.millis() + waitMs);
    }

    private Uni<List<Claimed>> claimUntil(ExecutionStore.ClaimQuery query, long deadline) {
        long seen = signals.generation(query.lane());
        long now = clock.millis();
        return metrics.timeClaim(query.lane(), () -> pool.withTransaction(c -> store.claim(c, query, now)
                        .call(claims -> hooks.after(c, claims.stream().map(Claimed::transition).toList(), now))))
                .flatMap(claims -> {
            if (!claims.isEmpty()) {
                return Uni.createFrom().item(claims.stream().sorted(CLAIM_ORDER).toList());
            }
            long remaining = deadline - clock.millis();
            if (remaining <= 0 || signals.closed()) {
                return Uni.createFrom().item(List.<Claimed>of());
            }
            return signals.await(query.lane(), seen, Math.min(remaining, pollIntervalMs))
                    .flatMap(ignored -> claimUntil(query, deadline));
        });
    }
}

package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Claimed;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.store.ExecutionStore;
import dev.flowfabric.coordinator.store.SuspensionStore;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Hands runnable executions of a lane to a worker, waiting up to {@code wait_ms} for work. */
@ApplicationScoped
public class ClaimService {

    private static final int MAX_ADMISSION_ROUNDS = 4;
    private static final Comparator<Claimed> CLAIM_ORDER = Comparator.comparingInt(Claimed::priority).reversed()
            .thenComparingLong(Claimed::createdAtMs);

    private final Transactions tx;
    private final ExecutionStore store;
    private final SuspensionStore suspensions;
    private final WorkSignals signals;
    private final TransitionHooks hooks;
    private final Clock clock;
    private final FlowMetrics metrics;
    private final long pollIntervalMs;

    ClaimService(ExecutionStore store, SuspensionStore suspensions, WorkSignals signals, TransitionHooks hooks,
                 Clock clock, FlowfabricConfig config, FlowMetrics metrics, Transactions tx) {
        this.tx = tx;
        this.metrics = metrics;
        this.hooks = hooks;
        this.suspensions = suspensions;
        this.store = store;
        this.signals = signals;
        this.clock = clock;
        this.pollIntervalMs = config.claim().pollIntervalMs();
    }

    /**
     * Claims up to {@code max} in this transaction. When a quota policy had room for fewer of the
     * candidates than the statement picked, the policy is full now (this transaction sees its own
     * counters), so another round looks past it for the places left; each round fills a policy or
     * ends the search.
     */
    private Uni<List<Claimed>> admit(SqlConnection c, ExecutionStore.ClaimQuery query, int max, long now,
                                     int roundsLeft) {
        return store.claim(c, query, max, now).call(batch -> store.recordAdmissions(c, batch.admissions(), now))
                .invoke(batch -> {
                    if (batch.refusedByQuota() > 0) {
                        // The statement cannot tell a full window from full concurrency; one label says both.
                        metrics.quotaHit("capacity");
                    }
                })
                .flatMap(batch -> {
            int missing = max - batch.claims().size();
            if (batch.refusedByQuota() == 0 || missing == 0 || roundsLeft <= 1) {
                return Uni.createFrom().item(batch.claims());
            }
            return admit(c, query, missing, now, roundsLeft - 1).map(more -> {
                List<Claimed> all = new ArrayList<>(batch.claims());
                all.addAll(more);
                return all;
            });
        });
    }

    public Uni<List<Claimed>> claim(ExecutionStore.ClaimQuery query, long waitMs) {
        return claimUntil(query, clock.millis() + waitMs);
    }

    private Uni<List<Claimed>> claimUntil(ExecutionStore.ClaimQuery query, long deadline) {
        long seen = signals.generation(query.lane());
        long now = clock.millis();
        return metrics.timeClaim(query.lane(), () -> tx.run(c -> store.preferOrderedClaimScan(c)
                        .chain(() -> admit(c, query, query.max(), now, MAX_ADMISSION_ROUNDS))
                        .call(claims -> hooks.after(c, claims.stream().map(Claimed::transition).toList(), now))
                        .chain(claims -> withResumeSignals(c, claims))))
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

    /** Resume claims carry the signals that resumed their suspension: one more query, only for those. */
    private Uni<List<Claimed>> withResumeSignals(SqlClient c, List<Claimed> claims) {
        List<Claimed> resumes = claims.stream().filter(Claimed::resume).toList();
        if (resumes.isEmpty()) {
            return Uni.createFrom().item(claims);
        }
        return suspensions.takeResumeSignals(c, resumes.stream().map(Claimed::executionId).toList(),
                        resumes.stream().map(Claimed::attemptIndex).toList())
                .map(signals -> claims.stream().map(cl -> signals.containsKey(cl.executionId())
                        ? cl.withResumeSignals(signals.get(cl.executionId())) : cl).toList());
    }
}

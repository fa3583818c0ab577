package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Quota;
import dev.flowfabric.coordinator.store.QuotaStore;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.Objects;
import java.util.UUID;

/** Quota policies (api.md §6). They are enforced by the claim; this is their creation and view. */
@ApplicationScoped
public class QuotaService {

    private final Transactions tx;
    private final Pool pool;
    private final QuotaStore store;
    private final Clock clock;

    QuotaService(Pool pool, QuotaStore store, Clock clock, Transactions tx) {
        this.tx = tx;
        this.pool = pool;
        this.store = store;
        this.clock = clock;
    }

    /** Creates the policy, or returns the existing one with this id when its limits are the same. */
    public Uni<Stored<Quota>> create(UUID id, long windowMs, Long maxPerWindow, Long maxConcurrent) {
        long now = clock.millis();
        return tx.run(c -> store.insertIfAbsent(c, id, windowMs, maxPerWindow, maxConcurrent, now)
                .flatMap(created -> store.find(c, id, now).map(found -> {
                    Quota q = found.orElseThrow();
                    if (!created && (q.windowMs() != windowMs || !Objects.equals(q.maxPerWindow(), maxPerWindow)
                            || !Objects.equals(q.maxConcurrent(), maxConcurrent))) {
                        throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT,
                                "quota policy " + id + " already exists with other limits");
                    }
                    return new Stored<>(q, created);
                })));
    }

    public Uni<Quota> get(UUID id) {
        return store.find(pool, id, clock.millis()).map(q -> q.orElseThrow(() -> Problem.notFound("quota", id)));
    }
}

package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Budget;
import dev.flowfabric.coordinator.domain.Budget.UsageOutcome;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.store.BudgetStore;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Budgets (api.md §6): usage reports, breaches, resets, and the executions an exhausted budget
 * holds back. The claim refuses bound executions while a budget is exhausted; this service keeps
 * their state honest (blocked_by_budget while held back) and wakes claimers when a reset frees them.
 */
@ApplicationScoped
public class BudgetService {

    private final Transactions tx;
    private final Pool pool;
    private final BudgetStore store;
    private final TransitionHooks hooks;
    private final WorkSignals signals;
    private final Clock clock;
    private final long dedupTtlMs;

    private final FlowMetrics metrics;

    BudgetService(Pool pool, BudgetStore store, TransitionHooks hooks, WorkSignals signals, Clock clock,
                  FlowfabricConfig config, FlowMetrics metrics, Transactions tx) {
        this.tx = tx;
        this.metrics = metrics;
        this.pool = pool;
        this.store = store;
        this.hooks = hooks;
        this.signals = signals;
        this.clock = clock;
        this.dedupTtlMs = config.budget().dedupTtlMs();
    }

    /** A budget to create, validated. */
    public record NewBudget(UUID budgetId, Budget.Scope scope, String scopeId, Map<String, Budget.Limit> limits,
                            long resetIntervalMs) { }

    /** The budget with this id, created now or found with the same scope. */
    public Uni<Stored<Budget>> create(NewBudget b) {
        long now = clock.millis();
        UUID id = b.budgetId() != null ? b.budgetId() : UUID.randomUUID();
        return tx.run(c -> store.insertIfAbsent(c, id, b.scope().wire(), b.scopeId(), b.limits(),
                        b.resetIntervalMs(), now)
                .flatMap(created -> store.find(c, id).map(found -> {
                    Budget existing = found.orElseThrow();
                    if (!created && !(existing.scope().equals(b.scope().wire()) && existing.scopeId().equals(b.scopeId()))) {
                        throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT,
                                "budget " + id + " already exists with another scope");
                    }
                    return new Stored<>(existing, created);
                })));
    }

    public Uni<Budget> get(UUID id) {
        return store.find(pool, id).map(b -> b.orElseThrow(() -> Problem.notFound("budget", id)));
    }

    /**
     * Applies a usage report: every increment, or none when one would pass its hard limit. A
     * report whose dedup_key was seen answers {@code duplicate} with the first answer's details.
     * When the report exhausts the budget, the claimable executions it binds are held back in the
     * same transaction.
     */
    public Uni<UsageOutcome> report(UUID id, Map<String, Long> usage, String dedupKey, UUID executionId) {
        long now = clock.millis();
        return tx.run(c -> store.lock(c, id).flatMap(header -> {
            if (header.isEmpty()) {
                throw Problem.notFound("budget", id);
            }
            Uni<Optional<UsageOutcome>> seen = dedupKey == null ? Uni.createFrom().item(Optional.empty())
                    : store.dedupOutcome(c, id, dedupKey);
            return seen.flatMap(previous -> previous.isPresent()
                    ? Uni.createFrom().item(previous.get().asDuplicate())
                    : apply(c, header.get(), usage, dedupKey, executionId, now));
        })).invoke(o -> {
            if (UsageOutcome.HARD_BREACH.equals(o.outcome())) {
                metrics.budgetHit(o.dimension());
            }
        });
    }

    private Uni<UsageOutcome> apply(SqlConnection c, BudgetStore.Header header, Map<String, Long> usage,
                                    String dedupKey, UUID executionId, long now) {
        return store.apply(c, header.budgetId(), usage, executionId, now).flatMap(applied -> {
            UsageOutcome outcome = applied.hardDimension() != null
                    ? new UsageOutcome(UsageOutcome.HARD_BREACH, applied.hardDimension(), applied.hardUsage())
                    : applied.softDimension() != null
                    ? new UsageOutcome(UsageOutcome.SOFT_BREACH, applied.softDimension(), applied.softUsage())
                    : new UsageOutcome(UsageOutcome.OK, null, null);
            Uni<Void> dedup = dedupKey == null ? Uni.createFrom().voidItem()
                    : store.recordDedup(c, header.budgetId(), dedupKey, outcome, now, now + dedupTtlMs);
            Uni<Void> holdBack = applied.exhausted() && !header.exhausted()
                    ? store.block(c, List.of(header.budgetId())).flatMap(t -> hooks.after(c, t, now))
                    : Uni.createFrom().voidItem();
            return dedup.call(() -> holdBack).replaceWith(outcome);
        });
    }

    /** Manual reset: usage to zero, no longer exhausted, held-back executions claimable again. */
    public Uni<Budget> reset(UUID id) {
        long now = clock.millis();
        return tx.run(c -> store.lock(c, id).flatMap(header -> {
                    if (header.isEmpty()) {
                        throw Problem.notFound("budget", id);
                    }
                    return store.reset(c, List.of(id), now, 1).flatMap(ids -> release(c, ids, now));
                }))
                .invoke(signals::wakeCommitted)
                .flatMap(released -> get(id));
    }

    /** Resets up to {@code batch} budgets whose reset is due; returns how many were reset. */
    public Uni<Integer> resetDue(long now, int batch) {
        return tx.runWithCustomPlans(c -> store.reset(c, null, now, batch)
                        .flatMap(ids -> release(c, ids, now).map(t -> new Reset(ids.size(), t))))
                .invoke(r -> signals.wakeCommitted(r.released()))
                .map(Reset::budgets);
    }

    /**
     * Holds back claimable executions bound to an exhausted budget that a concurrent transition
     * made claimable while the budget was being exhausted (the claim refuses them meanwhile).
     */
    public Uni<Integer> holdBackStragglers(long now) {
        return tx.run(c -> store.block(c, null).call(t -> hooks.after(c, t, now))).map(List::size);
    }

    public Uni<Integer> forgetExpiredDedupKeys(long now, int batch) {
        return store.deleteExpiredDedup(pool, now, batch);
    }

    private record Reset(int budgets, List<Transition> released) { }

    private Uni<List<Transition>> release(SqlConnection c, List<UUID> ids, long now) {
        return store.unblock(c, ids)
                .call(t -> hooks.after(c, t, now))
                .call(t -> signals.announce(c, t));
    }
}

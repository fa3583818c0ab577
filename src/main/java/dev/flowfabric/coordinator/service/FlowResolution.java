package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Execution;
import dev.flowfabric.coordinator.domain.MemberRef;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.store.EdgeStore;
import dev.flowfabric.coordinator.store.FlowStore;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Flow resolution, in the transaction of every member transition (api.md §3). An upstream that
 * ends resolves its outgoing edges; each downstream still waiting for its dependencies is then
 * released when its join is satisfied (cancelling the join's unfinished upstreams under
 * {@code cancel_remaining}) or skipped when it never can be. Those changes are transitions too:
 * they run through {@link TransitionHooks} again, which is how a skip propagates down the graph
 * and how other features see them. Last, the state of every flow touched is derived and stored.
 *
 * <p>Runs after every other hook (lowest priority) so the flow rows, locked for the derivation,
 * are the last locks its transaction takes. Transitions outside flows cost nothing here.
 */
@ApplicationScoped
@Priority(-1000)
public class FlowResolution implements TransitionHook {

    private static final String CANCEL_REMAINING = "cancel_remaining";

    private final EdgeStore edges;
    private final FlowStore flows;
    private final TransitionHooks hooks;
    private final WorkSignals signals;
    private final FlowCancels cancels;
    /** Flows touched so far by the outermost resolution running on each transaction. */
    private final Map<SqlClient, Touched> scopes = Collections.synchronizedMap(new IdentityHashMap<>());

    FlowResolution(EdgeStore edges, FlowStore flows, TransitionHooks hooks, WorkSignals signals, FlowCancels cancels) {
        this.edges = edges;
        this.flows = flows;
        this.hooks = hooks;
        this.signals = signals;
        this.cancels = cancels;
    }

    @Override
    public Uni<Void> after(SqlClient tx, List<Transition> transitions, long now) {
        List<Transition> members = transitions.stream().filter(t -> t.flowId() != null).toList();
        if (members.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Transition> ended = members.stream().filter(Transition::terminal).toList();
        boolean claimsOnly = members.stream().allMatch(FlowResolution::claim);
        return inScope(tx, now, claimsOnly ? List.of() : flowIds(members), claimsOnly ? flowIds(members) : List.of(),
                () -> resolveEnded(tx, ended, now));
    }

    /** Runs {@code work} on the transaction and derives the state of every flow it touched (see below). */
    public <T> Uni<T> inScope(SqlClient tx, long now, Collection<UUID> flowIds, Supplier<Uni<T>> work) {
        return inScope(tx, now, flowIds, List.of(), work);
    }

    /**
     * Runs {@code work} on the transaction, then derives the state of every flow it touched.
     * Nested calls (resolution reaching hooks that reach resolution) only add their flows: the
     * outermost call derives once, at its end, after taking the flow rows last. Flows touched only
     * by claims need no count of their members: a claim can only make an open or blocked flow
     * running.
     */
    private <T> Uni<T> inScope(SqlClient tx, long now, Collection<UUID> derive, Collection<UUID> claimed,
                               Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            Touched touched = scopes.get(tx);
            if (touched != null) {
                touched.add(derive, claimed);
                return work.get();
            }
            Touched mine = new Touched();
            mine.add(derive, claimed);
            scopes.put(tx, mine);
            return work.get()
                    .call(() -> settleFlows(tx, mine, now))
                    .eventually(() -> scopes.remove(tx));
        });
    }

    /** The flows a transaction touched: those to derive from their members, and those only claims touched. */
    private static final class Touched {
        private final Set<UUID> derive = new HashSet<>();
        private final Set<UUID> claimed = new HashSet<>();

        synchronized void add(Collection<UUID> toDerive, Collection<UUID> byClaims) {
            derive.addAll(toDerive);
            claimed.addAll(byClaims);
        }

        synchronized List<UUID> all() {
            Set<UUID> all = new HashSet<>(derive);
            all.addAll(claimed);
            return List.copyOf(all);
        }

        synchronized boolean derives(UUID flowId) {
            return derive.contains(flowId);
        }
    }

    /** Re-resolves upstreams that ended while a crash left their edges pending (repair sweep). */
    public Uni<Void> repairEnded(SqlClient tx, List<Transition> ended, long now) {
        if (ended.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return inScope(tx, now, flowIds(ended), () -> resolveEnded(tx, ended, now));
    }

    /** Applies the joins of gated members a crash left decided but unapplied (repair sweep). */
    public Uni<Void> repairGated(SqlClient tx, List<MemberRef> gated, long now) {
        if (gated.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return inScope(tx, now, List.of(), () -> settle(tx, gated, now));
    }

    private Uni<Void> resolveEnded(SqlClient tx, List<Transition> ended, long now) {
        if (ended.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return edges.resolveEdgesAndLockGated(tx, ended, now).flatMap(gated -> settle(tx, gated, now));
    }

    /**
     * Brings members (locked by the caller) in line with their joins: pending keeps or makes a
     * never-claimed member wait (waiting_children), satisfied releases a waiting one, impossible
     * skips it. The resulting transitions run through every hook, and claimers are woken for the
     * released ones once the transaction commits.
     */
    public Uni<Void> settle(SqlClient tx, List<MemberRef> locked, long now) {
        if (locked.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return edges.joins(tx, locked).flatMap(joins -> {
            List<MemberRef> release = new ArrayList<>();
            List<MemberRef> gate = new ArrayList<>();
            List<MemberRef> skip = new ArrayList<>();
            List<MemberRef> cancelRemaining = new ArrayList<>();
            for (EdgeStore.Join j : joins) {
                switch (j.verdict()) {
                    case SATISFIED -> {
                        if (j.gated()) {
                            release.add(j.ref());
                            if (j.group().cancelsRemaining()) {
                                cancelRemaining.add(j.ref());
                            }
                        }
                    }
                    case PENDING -> {
                        if (j.open() && !j.gated()) {
                            gate.add(j.ref());
                        }
                    }
                    case IMPOSSIBLE -> {
                        if (j.open() || j.gated()) {
                            skip.add(j.ref());
                        }
                    }
                }
            }
            List<Transition> made = Collections.synchronizedList(new ArrayList<>());
            return edges.release(tx, release, now).invoke(e -> made.addAll(transitions(e)))
                    .chain(() -> edges.gate(tx, gate, now)).invoke(e -> made.addAll(transitions(e)))
                    .chain(() -> edges.skip(tx, skip, now)).invoke(e -> made.addAll(transitions(e)))
                    .chain(() -> cancelRemaining(tx, cancelRemaining, now)).invoke(made::addAll)
                    .chain(() -> followUp(tx, List.copyOf(made), now));
        });
    }

    /**
     * Cancels the unfinished upstreams of satisfied joins. A sibling another transaction holds
     * right now is not waited for (it is no downstream of ours, so waiting could deadlock): its
     * cancel is owed in the backlog and drained once this transaction commits.
     */
    private Uni<List<Transition>> cancelRemaining(SqlClient tx, List<MemberRef> satisfied, long now) {
        if (satisfied.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return edges.remainingUpstreams(tx, satisfied).flatMap(remaining -> {
            Map<Short, List<EdgeStore.Remaining>> byPartition = new LinkedHashMap<>();
            remaining.forEach(r -> byPartition.computeIfAbsent(r.partitionKey(), k -> new ArrayList<>()).add(r));
            return Multi.createFrom().iterable(byPartition.entrySet())
                    .onItem().transformToUniAndConcatenate(e -> edges.cancelMembers(tx, e.getKey(),
                            e.getValue().stream().map(EdgeStore.Remaining::executionId).toList(), false,
                            CANCEL_REMAINING, CANCEL_REMAINING, now))
                    .collect().in(ArrayList<EdgeStore.Cancelled>::new, List::addAll)
                    .flatMap(cancelled -> {
                        Set<UUID> done = new HashSet<>();
                        cancelled.forEach(c -> done.add(c.execution().executionId()));
                        List<FlowStore.PendingCancel> busy = remaining.stream()
                                .filter(r -> !done.contains(r.executionId()))
                                .map(r -> new FlowStore.PendingCancel(r.partitionKey(), r.flowId(), r.executionId(),
                                        CANCEL_REMAINING, false, CANCEL_REMAINING))
                                .toList();
                        List<Transition> t = cancelled.stream().map(EdgeStore.Cancelled::transition).toList();
                        if (busy.isEmpty()) {
                            return Uni.createFrom().item(t);
                        }
                        Commits.onCommit(tx, cancels::drainOwedSoon);
                        return flows.enqueueSiblings(tx, busy, now).replaceWith(t);
                    });
        });
    }

    /** Transitions made here go through every hook, and wake claimers once committed. */
    private Uni<Void> followUp(SqlClient tx, List<Transition> made, long now) {
        if (made.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return hooks.after(tx, made, now)
                .call(() -> signals.announce(tx, made))
                .invoke(() -> {
                    if (!WorkSignals.claimable(made).isEmpty()) {
                        Commits.onCommit(tx, () -> signals.wakeCommitted(made));
                    }
                });
    }

    /**
     * Locks the flows (id order, after every execution row) and stores their derived state. The
     * lock returns each flow's latest state, so a flow only claims touched is marked running when
     * it was open or blocked, and derived in full when it had ended (a replayed member ran again).
     */
    private Uni<Void> settleFlows(SqlClient tx, Touched touched, long now) {
        List<UUID> ids = touched.all();
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return flows.lockFlows(tx, ids).flatMap(headers -> {
            List<UUID> derive = new ArrayList<>();
            List<UUID> running = new ArrayList<>();
            for (FlowStore.Header h : headers.values()) {
                if (touched.derives(h.flowId()) || h.terminal()) {
                    derive.add(h.flowId());
                } else if (!"running".equals(h.publicFlowState())) {
                    running.add(h.flowId());
                }
            }
            return flows.deriveStates(tx, derive, now).chain(() -> flows.markRunning(tx, running));
        });
    }

    /** A claim: a worker took a lease and the member became active. */
    private static boolean claim(Transition t) {
        return t.leaseStarted() && "active".equals(t.publicState());
    }

    private static List<Transition> transitions(List<Execution> executions) {
        return executions.stream().map(e -> Transition.of(e, false, false)).toList();
    }

    private static List<UUID> flowIds(List<Transition> transitions) {
        return transitions.stream().map(Transition::flowId).filter(f -> f != null).distinct().toList();
    }
}

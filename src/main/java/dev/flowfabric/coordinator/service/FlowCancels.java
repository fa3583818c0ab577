package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.FlowCancelPolicy;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.store.EdgeStore;
import dev.flowfabric.coordinator.store.FlowStore;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Flow cancel (api.md §3) and the durable backlog behind it. A cancel is two steps: one
 * transaction records it, marks the flow cancelled and owes a cancel to each member the policy
 * names; then drains cancel those members in transactions of their own. A crash between the two
 * loses nothing: the owed cancels are rows, and the repair sweep drains what nobody finished.
 *
 * <p>The call drains inline in both modes. Without {@code wait} it makes one pass and answers
 * {@code cancelled} if that pass cancelled every member, else {@code cancellation_scheduled} and
 * keeps draining in the background (so a caller usually finds the members cancelled when the call
 * returns, and a member whose row is busy does not hold the answer up). With {@code wait=true} it
 * drains until nothing is owed, or until {@code flowfabric.flow.cancel-wait-ms} passes without
 * progress ({@code partially_cancelled}, naming the members still owed; the backlog keeps them).
 */
@ApplicationScoped
public class FlowCancels {

    private static final Logger LOG = Logger.getLogger(FlowCancels.class);
    private static final Duration RETRY_BUSY = Duration.ofMillis(20);

    private final Transactions tx;
    private final Pool pool;
    private final FlowStore flows;
    private final EdgeStore edges;
    private final TransitionHooks hooks;
    private final Clock clock;
    private final int batch;
    private final long waitMs;
    private final AtomicBoolean draining = new AtomicBoolean();

    FlowCancels(Pool pool, FlowStore flows, EdgeStore edges, TransitionHooks hooks, Clock clock,
                FlowfabricConfig config, Transactions tx) {
        this.tx = tx;
        this.pool = pool;
        this.flows = flows;
        this.edges = edges;
        this.hooks = hooks;
        this.clock = clock;
        this.batch = config.sweep().batchSize();
        this.waitMs = config.flow().cancelWaitMs();
    }

    /** The answer to a cancel: {@code failed} is set only for {@code partially_cancelled}. */
    public record Outcome(String outcome, String policy, List<UUID> members, List<UUID> failed) { }

    /** A recorded cancel of a flow. */
    public record Recorded(UUID flowId, short partitionKey, String policy) { }

    public Uni<Outcome> cancel(UUID flowId, FlowCancelPolicy policy, String reason, boolean wait) {
        long now = clock.millis();
        return record(flowId, policy, reason, now)
                .call(r -> drainFlow(flowId, wait ? now + waitMs : now))
                .flatMap(r -> answer(r, wait));
    }

    /**
     * The first step alone: records the cancel and flips the flow to cancelled, owing the member
     * cancels. A repeat finds the cancel recorded and changes nothing. Only the flow row is
     * locked, so this waits for no member.
     */
    public Uni<Recorded> record(UUID flowId, FlowCancelPolicy policy, String reason, long now) {
        return tx.run(c -> flows.lockFlows(c, List.of(flowId)).flatMap(found -> {
            FlowStore.Header flow = found.get(flowId);
            if (flow == null) {
                throw Problem.notFound("flow", flowId);
            }
            return flows.findCancel(c, flow.partitionKey(), flowId).flatMap(earlier -> {
                if (earlier.isPresent()) {
                    return Uni.createFrom().item(new Recorded(flowId, flow.partitionKey(), earlier.get().policy()));
                }
                if (flow.terminal()) {
                    throw Problem.conflict(ProblemKind.FLOW_ALREADY_TERMINAL,
                            "flow " + flowId + " already ended " + flow.publicFlowState());
                }
                return flows.recordCancel(c, flow.partitionKey(), flowId, policy.wire(), policy.cancelsMembers(),
                                policy.onlyUnleased(), reason, now)
                        .replaceWith(new Recorded(flowId, flow.partitionKey(), policy.wire()));
            });
        }));
    }

    private Uni<Outcome> answer(Recorded r, boolean wait) {
        return flows.cancelMembers(pool, r.partitionKey(), r.flowId()).map(rows -> {
            List<UUID> members = new ArrayList<>();
            List<UUID> owed = new ArrayList<>();
            for (FlowStore.CancelMember m : rows) {
                if (!"dropped".equals(m.state())) {
                    members.add(m.executionId());
                }
                if ("pending".equals(m.state())) {
                    owed.add(m.executionId());
                }
            }
            if (owed.isEmpty()) {
                return new Outcome("cancelled", r.policy(), members, null);
            }
            if (wait) {
                return new Outcome("partially_cancelled", r.policy(), members, owed);
            }
            drainInBackground(r.flowId());
            return new Outcome("cancellation_scheduled", r.policy(), members, null);
        });
    }

    private void drainInBackground(UUID flowId) {
        drainFlow(flowId, clock.millis() + waitMs).subscribe().with(done -> { },
                e -> LOG.warnf("background drain of flow %s failed (%s); the repair sweep will finish it", flowId,
                        e.getMessage()));
    }

    /**
     * Drains one flow's owed cancels: batch after batch while they make progress; when only busy
     * rows are left, retries shortly until {@code deadline}.
     */
    Uni<Void> drainFlow(UUID flowId, long deadline) {
        return drainBatch(flowId).flatMap(progress -> flows.countOwed(pool, flowId).flatMap(owed -> {
            if (owed == 0) {
                return Uni.createFrom().voidItem();
            }
            if (progress > 0) {
                return drainFlow(flowId, deadline);
            }
            if (clock.millis() >= deadline) {
                return Uni.createFrom().voidItem();
            }
            return Uni.createFrom().voidItem().onItem().delayIt().by(RETRY_BUSY)
                    .flatMap(v -> drainFlow(flowId, deadline));
        }));
    }

    /** Drains every owed cancel (any flow) until a batch comes back short; returns how many were settled. */
    public Uni<Integer> drainOwed() {
        return drainBatch(null).flatMap(n -> n < batch ? Uni.createFrom().item(n) : drainOwed().map(m -> n + m));
    }

    /** Member cancels still owed by the durable backlog, across all flows. */
    public Uni<Long> owedDepth() {
        return flows.countOwed(pool, null).map(Number::longValue);
    }

    /**
     * After a commit that owed cancels (siblings busy at the time): drains them, retrying shortly
     * while rows stay busy, up to {@code flowfabric.flow.cancel-wait-ms}. One such drain at a time
     * per replica; the repair sweep catches whatever is left.
     */
    public void drainOwedSoon() {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        drainOwedUntil(clock.millis() + waitMs).eventually(() -> draining.set(false)).subscribe().with(n -> { },
                e -> LOG.warnf("draining owed cancels failed (%s); the repair sweep will retry", e.getMessage()));
    }

    private Uni<Void> drainOwedUntil(long deadline) {
        return drainOwed().chain(() -> flows.countOwed(pool, null)).flatMap(owed -> {
            if (owed == 0 || clock.millis() >= deadline) {
                return Uni.createFrom().voidItem();
            }
            return Uni.createFrom().voidItem().onItem().delayIt().by(RETRY_BUSY)
                    .flatMap(v -> drainOwedUntil(deadline));
        });
    }

    /**
     * One transaction: locks a batch of owed cancels nobody else is draining, cancels the members
     * that are free (busy rows are skipped, not waited for), settles the batch, and runs the
     * cancels through every hook. Returns how many owed cancels it settled.
     */
    private Uni<Integer> drainBatch(UUID flowId) {
        long now = clock.millis();
        return tx.run(c -> flows.lockPendingCancels(c, flowId, batch).flatMap(owed -> {
            if (owed.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            Map<List<Object>, List<FlowStore.PendingCancel>> groups = new LinkedHashMap<>();
            for (FlowStore.PendingCancel p : owed) {
                groups.computeIfAbsent(List.of(p.partitionKey(), p.cause(), p.onlyUnleased(),
                        p.reason() == null ? "" : p.reason()), k -> new ArrayList<>()).add(p);
            }
            return Multi.createFrom().iterable(groups.values())
                    .onItem().transformToUniAndConcatenate(g -> {
                        FlowStore.PendingCancel first = g.get(0);
                        return edges.cancelMembers(c, first.partitionKey(),
                                g.stream().map(FlowStore.PendingCancel::executionId).toList(), first.onlyUnleased(),
                                first.reason(), first.cause(), now);
                    })
                    .collect().in(ArrayList<EdgeStore.Cancelled>::new, List::addAll)
                    .flatMap(cancelled -> {
                        List<Transition> t = cancelled.stream().map(EdgeStore.Cancelled::transition).toList();
                        List<UUID> ids = cancelled.stream().map(x -> x.execution().executionId()).toList();
                        return flows.settleCancels(c, owed, ids, now)
                                .flatMap(settled -> hooks.after(c, t, now).replaceWith(settled));
                    });
        }));
    }
}

package dev.flowfabric.coordinator.metrics;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Transition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The service's meters. Where FlowFabric has a metric its name and labels are kept, so its Grafana
 * dashboard works against this service; the rest are {@code ff_<thing>}. Counts that must agree
 * with the database are taken only once the transaction that made the change commits.
 *
 * <p>Lanes are client-chosen, so the {@code lane} label is capped: past
 * {@code flowfabric.metrics.max-lanes} distinct lanes the others share the label {@link #OTHER_LANE}
 * (no lane can be named so: lane names start with a letter or digit).
 */
@ApplicationScoped
public class FlowMetrics {

    public static final String OTHER_LANE = "_other";

    /** Buckets of the latency histograms: claim cycles and sweeps take milliseconds, a slow one seconds. */
    static final Duration[] LATENCY_BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final int maxLanes;
    private final Set<String> lanes = ConcurrentHashMap.newKeySet();
    private final AtomicLong cancelBacklog = new AtomicLong();

    FlowMetrics(MeterRegistry registry, FlowfabricConfig config) {
        this.registry = registry;
        this.maxLanes = config.metrics().maxLanes();
        Gauge.builder("ff.cancel.backlog.depth", cancelBacklog, AtomicLong::get)
                .description("Flow-cancel member cancellations waiting in the durable backlog")
                .register(registry);
    }

    // ---- executions ---------------------------------------------------------------------------

    /** Executions a create inserted (not the existing ones an idempotent repeat returned). */
    public void created(String lane) {
        executions("created", lane).increment();
    }

    /** One committed transition, as a {@link dev.flowfabric.coordinator.service.TransitionHook} sees it. */
    void transitioned(Transition t) {
        if (t.leaseStarted()) {
            executions("claimed", t.lane()).increment();
        }
        if (t.terminal()) {
            executions(t.publicState(), t.lane()).increment();
            String outcome = attemptOutcome(t.terminalOutcome());
            if (t.leaseEnded() && outcome != null) {
                attemptOutcome(t.lane(), outcome).increment();
            }
        }
    }

    /** A failed attempt that will be retried, counted once {@code tx} commits. */
    public void retried(SqlClient tx, String lane) {
        afterCommit(tx, () -> {
            executions("retried", lane).increment();
            attemptOutcome(lane, "retry").increment();
        });
    }

    /** Leases the expiry sweep took back, counted once {@code tx} commits. */
    public void leasesExpired(SqlClient tx, List<Transition> expired) {
        if (!expired.isEmpty()) {
            afterCommit(tx, () -> expired.forEach(t -> counter("ff.lease.expired", "lane", label(t.lane())).increment()));
        }
    }

    /** A lease renewal call: {@code ok}, or refused/failed ({@code err}), FlowFabric's labels. */
    public void renewal(boolean ok) {
        counter("ff.lease.renewal", "outcome", ok ? "ok" : "err").increment();
    }

    /**
     * Times one claim cycle of a lane (selection, admission and grant in one transaction), not the
     * long-poll wait around it; FlowFabric's {@code ff_claim_from_grant_duration_seconds}.
     */
    public <T> Uni<T> timeClaim(String lane, Supplier<Uni<T>> cycle) {
        return timed(Timer.builder("ff.claim.from.grant.duration").tag("lane", label(lane))
                .description("One claim cycle of a lane: selection, admission and grant"), cycle);
    }

    // ---- sweeps -------------------------------------------------------------------------------

    /** Times and counts one cycle of a scheduled sweep ({@code scanner} as FlowFabric names its scanners). */
    public <T> Uni<T> scannerCycle(String scanner, Supplier<Uni<T>> cycle) {
        return timed(Timer.builder("ff.scanner.cycle.duration").tag("scanner", scanner)
                .description("One cycle of a sweep"), cycle)
                .eventually(() -> counter("ff.scanner.cycle", "scanner", scanner).increment());
    }

    // ---- meters other features report ---------------------------------------------------------

    /** Flow-cancel member cancellations still pending in the durable backlog (the flow repair sweep sets it). */
    public void cancelBacklogDepth(long depth) {
        cancelBacklog.set(depth);
    }

    /** A budget hard breach refused a usage report or held back a claim ({@code dimension} as reported). */
    public void budgetHit(String dimension) {
        counter("ff.budget.hit", "dimension", dimension).increment();
    }

    /** A quota held back a claim: {@code reason} is {@code rate} or {@code concurrency}. */
    public void quotaHit(String reason) {
        counter("ff.quota.hit", "reason", reason).increment();
    }

    // ---- plumbing -----------------------------------------------------------------------------

    /** Runs {@code action} once {@code tx}'s transaction commits, never if it rolls back; at once outside one. */
    public void afterCommit(SqlClient tx, Runnable action) {
        if (tx instanceof SqlConnection connection) {
            Transaction transaction = connection.transaction();
            if (transaction != null) {
                transaction.completion().subscribe().with(committed -> action.run(), rolledBack -> { });
                return;
            }
        }
        action.run();
    }

    /** The lane label: the lane itself while fewer than the cap have been seen, else {@link #OTHER_LANE}. */
    String label(String lane) {
        if (lanes.contains(lane)) {
            return lane;
        }
        if (lanes.size() < maxLanes) {
            lanes.add(lane);
            return lane;
        }
        return OTHER_LANE;
    }

    MeterRegistry registry() {
        return registry;
    }

    private Counter executions(String what, String lane) {
        return counter("ff.executions." + what, "lane", label(lane));
    }

    private Counter attemptOutcome(String lane, String outcome) {
        return Counter.builder("ff.attempt.outcome").tag("lane", label(lane)).tag("outcome", outcome)
                .description("Attempts that ended, by outcome").register(registry);
    }

    private Counter counter(String name, String tag, String value) {
        return Counter.builder(name).tag(tag, value).register(registry);
    }

    private <T> Uni<T> timed(Timer.Builder builder, Supplier<Uni<T>> work) {
        Timer timer = builder.serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        return Uni.createFrom().deferred(() -> {
            long start = System.nanoTime();
            return work.get().eventually(() -> timer.record(Duration.ofNanos(System.nanoTime() - start)));
        });
    }

    /** FlowFabric's attempt outcome labels for the terminal outcomes that end a held lease. */
    private static String attemptOutcome(String terminalOutcome) {
        return switch (terminalOutcome) {
            case "success" -> "ok";
            case "failed" -> "error";
            case "expired" -> "timeout";
            case "cancelled" -> "cancelled";
            default -> null;
        };
    }
}

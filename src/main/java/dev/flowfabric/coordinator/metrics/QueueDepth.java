package dev.flowfabric.coordinator.metrics;

import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.StatsStore;
import io.micrometer.core.instrument.Gauge;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ff_queue_depth{lane,public_state}}: unfinished executions, recounted by one query every
 * {@code flowfabric.metrics.queue-depth-every} rather than at every scrape (scrapes of several
 * replicas must not multiply database work). A (lane, state) seen once keeps reporting, 0 when
 * empty, so a drained queue reads 0 instead of vanishing. Every replica reports the same global
 * numbers: aggregate with {@code max}, not {@code sum}.
 */
@ApplicationScoped
public class QueueDepth {

    private final Pool pool;
    private final StatsStore stats;
    private final FlowMetrics metrics;
    private final WorkSignals signals;
    private final Map<List<String>, AtomicLong> gauges = new ConcurrentHashMap<>();

    QueueDepth(Pool pool, StatsStore stats, FlowMetrics metrics, WorkSignals signals) {
        this.pool = pool;
        this.stats = stats;
        this.metrics = metrics;
        this.signals = signals;
    }

    @Scheduled(every = "${flowfabric.metrics.queue-depth-every:15s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> tick() {
        return signals.closed() ? Uni.createFrom().voidItem() : refresh();
    }

    /** Recounts now; the gauges show the result once it completes. */
    public Uni<Void> refresh() {
        return stats.queueDepth(pool).invoke(rows -> {
            Map<List<String>, Long> now = new HashMap<>();
            for (StatsStore.Depth d : rows) {
                now.merge(List.of(metrics.label(d.lane()), d.publicState()), d.depth(), Long::sum);
            }
            now.keySet().forEach(this::gauge);
            gauges.forEach((key, value) -> value.set(now.getOrDefault(key, 0L)));
        }).replaceWithVoid();
    }

    private AtomicLong gauge(List<String> key) {
        return gauges.computeIfAbsent(key, k -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("ff.queue.depth", value, AtomicLong::get).tag("lane", k.get(0)).tag("public_state", k.get(1))
                    .description("Unfinished executions by lane and public state").register(metrics.registry());
            return value;
        });
    }
}

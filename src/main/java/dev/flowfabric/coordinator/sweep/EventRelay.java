package dev.flowfabric.coordinator.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Event;
import dev.flowfabric.coordinator.service.EventService;
import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.EventStore;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import io.vertx.mutiny.sqlclient.Pool;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.ScheduledExecution;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbox relay: publishes the event log, in id order, on the {@code flowfabric-events}
 * channel (at least once; the message id is the event id, so consumers dedupe). One replica
 * relays at a time (a lease row); its cursor advances only after the connector acknowledged a
 * whole batch, so a broker outage stalls the relay and it catches up afterwards without loss.
 * Events of one execution are written in commit order, so id order keeps them in order.
 * Each round also tells every replica's event streams (NOTIFY) how far the log is safe to read.
 */
@ApplicationScoped
public class EventRelay {

    static final String CHANNEL = "flowfabric-events";
    static final String RELAY = "flowfabric-events";
    private static final Logger LOG = Logger.getLogger(EventRelay.class);
    private static final int MAX_ROUNDS = 20;

    private final FlowMetrics metrics;
    private final Pool pool;
    private final EventStore store;
    private final EventService events;
    private final WorkSignals signals;
    private final MutinyEmitter<String> emitter;
    private final ObjectMapper json;
    private final Clock clock;
    private final FlowfabricConfig.Events.Relay config;
    private final AtomicLong announced = new AtomicLong(-1);
    private volatile boolean failing;

    EventRelay(Pool pool, EventStore store, EventService events, WorkSignals signals,
               @Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
               MutinyEmitter<String> emitter, ObjectMapper json, Clock clock,
               FlowfabricConfig config, FlowMetrics metrics) {
        this.metrics = metrics;
        this.pool = pool;
        this.store = store;
        this.events = events;
        this.signals = signals;
        this.emitter = emitter;
        this.json = json;
        this.clock = clock;
        this.config = config.events().relay();
    }

    @Scheduled(every = "${flowfabric.events.relay.every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = EventRelay.NotStarted.class)
    Uni<Void> tick() {
        return metrics.scannerCycle("event_relay", () -> sweepOnce(clock.millis())).replaceWithVoid()
                .onFailure().invoke(e -> {
                    if (!failing) {
                        failing = true;
                        LOG.warnf("event relay stalled (%s); it retries from its cursor", e.getMessage());
                    }
                })
                .onFailure().recoverWithNull();
    }

    /**
     * Relay rounds start once the application has started: the channel is wired during startup,
     * and the relay's emitter cannot be injected before.
     */
    @Singleton
    static class NotStarted implements Scheduled.SkipPredicate {
        private final WorkSignals signals;
        private volatile boolean started;

        NotStarted(WorkSignals signals) {
            this.signals = signals;
        }

        void onStart(@Observes @Priority(Integer.MAX_VALUE) StartupEvent event) {
            started = true;
        }

        @Override
        public boolean test(ScheduledExecution execution) {
            return !started || signals.closed();
        }
    }

    /** One relay pass: announce the safe horizon, then publish batch by batch; returns events published. */
    public Uni<Integer> sweepOnce(long now) {
        return events.safeHorizon().call(this::announce)
                .flatMap(horizon -> config.enabled() ? relay(horizon, now, MAX_ROUNDS) : Uni.createFrom().item(0));
    }

    private Uni<Void> announce(long horizon) {
        if (announced.getAndAccumulate(horizon, Math::max) >= horizon) {
            return Uni.createFrom().voidItem();
        }
        events.wake();
        return store.notifyEvents(pool, horizon);
    }

    private Uni<Integer> relay(long horizon, long now, int roundsLeft) {
        String owner = signals.replicaId();
        return store.leaseRelay(pool, RELAY, owner, now, config.leaseMs()).flatMap(cursor -> {
            if (cursor.isEmpty() || cursor.get() >= horizon) {
                return Uni.createFrom().item(0);
            }
            long from = cursor.get();
            return store.list(pool, from, horizon, EventStore.Filter.NONE, config.batchSize())
                    .flatMap(batch -> publish(batch)
                            .flatMap(v -> store.advanceRelay(pool, RELAY, owner, from,
                                    batch.get(batch.size() - 1).eventId(), clock.millis()))
                            .flatMap(advanced -> {
                                if (failing) {
                                    failing = false;
                                    LOG.info("event relay caught up with the broker again");
                                }
                                boolean more = advanced && batch.size() == config.batchSize() && roundsLeft > 1;
                                return more ? relay(horizon, clock.millis(), roundsLeft - 1).map(n -> n + batch.size())
                                        : Uni.createFrom().item(batch.size());
                            }));
        });
    }

    /** Sends the batch in order and completes once the connector acknowledged every message. */
    private Uni<Void> publish(List<Event> batch) {
        List<CompletableFuture<Void>> acks = new ArrayList<>(batch.size());
        for (Event e : batch) {
            CompletableFuture<Void> ack = new CompletableFuture<>();
            acks.add(ack);
            Message<String> m = Message.of(payload(e), Metadata.of(metadata(e)),
                    () -> {
                        ack.complete(null);
                        return CompletableFuture.completedFuture(null);
                    },
                    reason -> {
                        ack.completeExceptionally(reason);
                        return CompletableFuture.completedFuture(null);
                    });
            emitter.sendMessageAndForget(m);
        }
        return Uni.createFrom().completionStage(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)))
                .ifNoItem().after(Duration.ofMillis(config.ackTimeoutMs()))
                .failWith(() -> new IllegalStateException("the broker did not confirm the batch in time"))
                .replaceWithVoid();
    }

    private static OutgoingRabbitMQMetadata metadata(Event e) {
        String id = Long.toString(e.eventId());
        return OutgoingRabbitMQMetadata.builder()
                .withMessageId(id)
                .withRoutingKey(e.type())
                .withContentType("application/json")
                .withDeliveryMode(2)
                .withTimestamp(ZonedDateTime.ofInstant(Instant.ofEpochMilli(e.atMs()), ZoneOffset.UTC))
                .withHeaders(Map.of("event_id", id))
                .build();
    }

    private String payload(Event e) {
        ObjectNode n = json.createObjectNode();
        n.put("event_id", e.eventId());
        n.put("type", e.type());
        n.put("execution_id", e.executionId() == null ? null : e.executionId().toString());
        n.put("flow_id", e.flowId() == null ? null : e.flowId().toString());
        if (e.partitionKey() == null) {
            n.putNull("partition_key");
        } else {
            n.put("partition_key", e.partitionKey());
        }
        n.put("at_ms", e.atMs());
        try {
            n.set("data", json.readTree(e.dataJson() == null ? "{}" : e.dataJson()));
            return json.writeValueAsString(n);
        } catch (JsonProcessingException x) {
            throw new IllegalStateException("event " + e.eventId() + " has unreadable data", x);
        }
    }
}

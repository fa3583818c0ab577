package dev.flowfabric.coordinator.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.ResumeCondition;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.domain.WaitpointToken;
import dev.flowfabric.coordinator.store.SuspensionStore;
import dev.flowfabric.coordinator.store.SuspensionStore.NewSignal;
import dev.flowfabric.coordinator.store.SuspensionStore.SignalRow;
import dev.flowfabric.coordinator.store.SuspensionStore.SignalTarget;
import dev.flowfabric.coordinator.store.SuspensionStore.WaitpointRow;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Signals to waitpoints (api.md §4). A signal proves itself with the waitpoint's token; it is
 * buffered on a pending waitpoint, counted toward the suspension of an active one, and resumes the
 * execution when the suspension's condition is met (its waitpoints close then). Checks run in this
 * order, before anything is written: unknown waitpoint (404), token (403), a repeated idempotency
 * key (duplicate), a closed or expired waitpoint (409).
 */
@ApplicationScoped
public class SignalService {

    private final Transactions tx;
    private final SuspensionStore store;
    private final WaitpointKeys keys;
    private final TransitionHooks hooks;
    private final WorkSignals work;
    private final ObjectMapper json;
    private final Clock clock;

    SignalService(Transactions tx, SuspensionStore store, WaitpointKeys keys, TransitionHooks hooks, WorkSignals work,
                  ObjectMapper json, Clock clock) {
        this.tx = tx;
        this.store = store;
        this.keys = keys;
        this.hooks = hooks;
        this.work = work;
        this.json = json;
        this.clock = clock;
    }

    /** A validated signal: to the waitpoint by id, or to the execution's waitpoint of that key. */
    public record Signal(UUID waitpointId, String key, String token, String name, String source, String payloadJson,
                         String idempotencyKey) { }

    /** accepted, resumed or duplicate. */
    public record Outcome(String outcome, UUID signalId, List<Transition> transitions) { }

    public Uni<Outcome> deliver(UUID executionId, Signal signal) {
        long now = clock.millis();
        return tx.run(c -> store.lockForSignal(c, executionId).chain(target -> {
            if (target.isEmpty()) {
                throw Problem.notFound("execution", executionId);
            }
            Uni<Optional<WaitpointRow>> found = signal.waitpointId() != null
                    ? store.waitpointById(c, executionId, signal.waitpointId())
                    : store.waitpointByKey(c, executionId, signal.key());
            return found.chain(w -> {
                WaitpointRow waitpoint = w.orElseThrow(() -> Problem.notFound("waitpoint",
                        signal.waitpointId() != null ? signal.waitpointId() : "with key '" + signal.key() + "'"));
                return verify(c, executionId, waitpoint, signal.token(), now)
                        .chain(() -> signal.idempotencyKey() == null ? Uni.createFrom().item(Optional.<UUID>empty())
                                : store.signalByIdempotencyKey(c, executionId, signal.idempotencyKey()))
                        .chain(prior -> prior.isPresent()
                                ? Uni.createFrom().item(new Outcome("duplicate", prior.get(), List.of()))
                                : accept(c, executionId, target.get(), waitpoint, signal, now));
            });
        })).invoke(o -> work.wakeCommitted(o.transitions()));
    }

    /** 403 unless the token names the waitpoint's key, that key still verifies, and the MAC matches. */
    private Uni<Void> verify(SqlClient c, UUID executionId, WaitpointRow w, String token, long now) {
        Optional<WaitpointToken.Parsed> parsed = WaitpointToken.parse(token);
        if (parsed.isEmpty() || !parsed.get().kid().equals(w.tokenKid())) {
            return Uni.createFrom().failure(SignalService::invalidToken);
        }
        return keys.find(c, w.tokenKid()).map(key -> {
            boolean ok = key.isPresent() && key.get().verifiesAt(now)
                    && WaitpointToken.verifies(parsed.get(), key.get().secret(), executionId, w.waitpointId());
            if (!ok) {
                throw invalidToken();
            }
            return null;
        });
    }

    private Uni<Outcome> accept(SqlClient c, UUID executionId, SignalTarget target, WaitpointRow w, Signal s,
                                long now) {
        if (!w.openAt(now)) {
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("waitpoint_id", w.waitpointId());
            extras.put("state", "pending".equals(w.state()) || "active".equals(w.state()) ? "expired" : w.state());
            throw Problem.conflict(ProblemKind.WAITPOINT_CLOSED,
                    "waitpoint " + w.waitpointId() + " is " + extras.get("state"), extras);
        }
        boolean counts = "active".equals(w.state());
        UUID signalId = UUID.randomUUID();
        var row = new NewSignal(target.partitionKey(), signalId, executionId, target.flowId(), w.waitpointId(), w.key(),
                counts ? w.suspensionId() : null, s.name(), s.source(), s.payloadJson(), s.idempotencyKey(), now);
        Uni<Void> inserted = store.insertSignal(c, row);
        if (!counts) {
            return inserted.replaceWith(new Outcome("accepted", signalId, List.of()));
        }
        return inserted.chain(() -> store.suspension(c, w.suspensionId()))
                .chain(suspension -> {
                    ResumeCondition condition = ResumeConditions.fromJson(suspension.orElseThrow().conditionJson(), json);
                    return store.signalsOfSuspension(c, w.suspensionId()).chain(signals -> {
                        if (!condition.satisfiedBy(signals.stream().map(SignalRow::fact).toList())) {
                            return Uni.createFrom().item(new Outcome("accepted", signalId, List.of()));
                        }
                        return store.close(c, w.suspensionId(), "satisfied", "closed", true, now)
                                .chain(() -> store.resumeExecution(c, target.partitionKey(), executionId,
                                        w.suspensionId(), "signal", now))
                                .chain(resumed -> {
                                    List<Transition> t = resumed.map(e -> List.of(Transition.of(e, false, false)))
                                            .orElse(List.of());
                                    return hooks.after(c, t, now).chain(() -> work.announce(c, t))
                                            .replaceWith(new Outcome("resumed", signalId, t));
                                });
                    });
                });
    }

    private static Problem invalidToken() {
        return Problem.refused(ProblemKind.INVALID_TOKEN, "the token does not verify for this waitpoint", null);
    }
}

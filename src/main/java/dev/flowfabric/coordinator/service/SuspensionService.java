package dev.flowfabric.coordinator.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowfabric.coordinator.domain.Execution;
import dev.flowfabric.coordinator.domain.Fence;
import dev.flowfabric.coordinator.domain.OnTimeout;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.ResumeCondition;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.domain.WaitpointToken;
import dev.flowfabric.coordinator.store.ExecutionStore;
import dev.flowfabric.coordinator.store.SuspensionStore;
import dev.flowfabric.coordinator.store.SuspensionStore.NewSuspension;
import dev.flowfabric.coordinator.store.SuspensionStore.PriorSuspend;
import dev.flowfabric.coordinator.store.SuspensionStore.SignalRow;
import dev.flowfabric.coordinator.store.SuspensionStore.WaitpointRef;
import dev.flowfabric.coordinator.store.WaitpointKeyStore.Key;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A leased execution suspends on waitpoints until signals meet its condition (api.md §4). The
 * lease is released and the attempt continues later, same index, as a {@code resume} claim.
 * Waitpoints made before suspending buffer early signals; if those already satisfy the condition
 * the suspend answers {@code already_satisfied} and the worker keeps its lease.
 */
@ApplicationScoped
public class SuspensionService {

    private final Transactions tx;
    private final ExecutionStore executions;
    private final SuspensionStore store;
    private final WaitpointKeys keys;
    private final TransitionHooks hooks;
    private final ObjectMapper json;
    private final Clock clock;

    SuspensionService(Transactions tx, ExecutionStore executions, SuspensionStore store, WaitpointKeys keys,
                      TransitionHooks hooks, ObjectMapper json, Clock clock) {
        this.tx = tx;
        this.executions = executions;
        this.store = store;
        this.keys = keys;
        this.hooks = hooks;
        this.json = json;
        this.clock = clock;
    }

    /** A validated suspend request. */
    public record Suspend(String reason, List<String> waitpointKeys, ResumeCondition condition, Long timeoutMs,
                          OnTimeout onTimeout, String idempotencyKey) { }

    /** A waitpoint handed to the worker, with the token an external party signals with. */
    public record IssuedWaitpoint(UUID waitpointId, String key, String token, boolean created) { }

    /** The suspend answer, as JSON (a repeat with the same idempotency key gets the same text). */
    public Uni<String> suspend(UUID id, Fence.Token fence, Suspend request) {
        long now = clock.millis();
        String digest = digest(request);
        return tx.run(c -> executions.lockFenced(c, id, fence, now).chain(locked -> prior(c, id, request)
                .chain(prior -> {
                    if (prior.isPresent()) {
                        return Uni.createFrom().item(replay(prior.get(), fence, digest));
                    }
                    if (locked.isEmpty()) {
                        return this.<String>refuse(c, id, fence, now);
                    }
                    return suspendLocked(c, locked.get(), fence, request, digest, now);
                })));
    }

    private Uni<Optional<PriorSuspend>> prior(SqlClient c, UUID id, Suspend request) {
        return request.idempotencyKey() == null ? Uni.createFrom().item(Optional.empty())
                : store.priorSuspend(c, id, request.idempotencyKey());
    }

    private static String replay(PriorSuspend prior, Fence.Token fence, String digest) {
        if (!prior.leaseId().equals(fence.leaseId()) || prior.leaseEpoch() != fence.leaseEpoch()) {
            throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT,
                    "this idempotency_key was used by another lease of the execution");
        }
        if (!digest.equals(prior.requestDigest())) {
            throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT,
                    "this idempotency_key was used for a different suspend request");
        }
        return prior.responseJson();
    }

    private Uni<String> suspendLocked(SqlClient c, ExecutionStore.Locked locked, Fence.Token fence, Suspend request,
                                      String digest, long now) {
        UUID id = locked.executionId();
        UUID suspensionId = UUID.randomUUID();
        Long timeoutAt = request.timeoutMs() == null ? null : now + request.timeoutMs();
        return store.expireDuePending(c, id, now)
                .chain(() -> store.lockPending(c, id, request.waitpointKeys()))
                .chain(pending -> issue(c, id, request.waitpointKeys(), pending).chain(issued -> {
                    List<UUID> attach = pending.stream().map(WaitpointRef::waitpointId).toList();
                    return store.signalsOfWaitpoints(c, attach).chain(buffered -> {
                        boolean satisfied = request.condition().satisfiedBy(
                                buffered.stream().map(SignalRow::fact).toList());
                        String response = response(satisfied, suspensionId, issued.waitpoints(), buffered);
                        List<IssuedWaitpoint> fresh = issued.waitpoints().stream().filter(IssuedWaitpoint::created).toList();
                        var row = new NewSuspension(locked.partitionKey(), suspensionId, id, locked.attemptIndex(),
                                satisfied ? "closed" : "active", satisfied ? "already_satisfied" : null,
                                request.reason(), ResumeConditions.toJson(request.condition(), json), timeoutAt,
                                request.onTimeout().wire(), fence.leaseId(), fence.leaseEpoch(),
                                request.idempotencyKey(), digest, response, now, attach,
                                fresh.stream().map(IssuedWaitpoint::waitpointId).toList(),
                                fresh.stream().map(IssuedWaitpoint::key).toList(), issued.signingKid());
                        Uni<Void> recorded = store.insertSuspension(c, row);
                        if (satisfied) {
                            return recorded.replaceWith(response);
                        }
                        return recorded.chain(() -> store.suspendExecution(c, locked, request.reason(), suspensionId,
                                        timeoutAt, now))
                                .chain(done -> {
                                    Execution e = done.orElseThrow();
                                    return hooks.after(c, List.of(Transition.of(e, false, true)), now);
                                })
                                .replaceWith(response);
                    });
                }));
    }

    private record Issued(List<IssuedWaitpoint> waitpoints, String signingKid) { }

    /** Tokens for the suspend's waitpoints: the pending ones keep theirs, the others get new ones. */
    private Uni<Issued> issue(SqlClient c, UUID executionId, List<String> wanted, List<WaitpointRef> pending) {
        Map<String, WaitpointRef> byKey = pending.stream()
                .collect(Collectors.toMap(WaitpointRef::key, w -> w, (a, b) -> a));
        Set<String> kids = pending.stream().map(WaitpointRef::tokenKid).collect(Collectors.toSet());
        return keys.signing(c).chain(signing -> secrets(c, kids, signing).map(secrets -> {
            List<IssuedWaitpoint> out = new ArrayList<>(wanted.size());
            for (String key : wanted) {
                WaitpointRef existing = byKey.get(key);
                if (existing != null) {
                    out.add(new IssuedWaitpoint(existing.waitpointId(), key, WaitpointToken.sign(existing.tokenKid(),
                            secrets.get(existing.tokenKid()), executionId, existing.waitpointId()), false));
                } else {
                    UUID wp = UUID.randomUUID();
                    out.add(new IssuedWaitpoint(wp, key, WaitpointToken.sign(signing.kid(), signing.secret(),
                            executionId, wp), true));
                }
            }
            return new Issued(out, signing.kid());
        }));
    }

    private Uni<Map<String, byte[]>> secrets(SqlClient c, Set<String> kids, Key signing) {
        Map<String, byte[]> out = new HashMap<>();
        out.put(signing.kid(), signing.secret());
        return Multi.createFrom().iterable(kids.stream().filter(k -> !out.containsKey(k)).toList())
                .onItem().transformToUniAndConcatenate(kid -> keys.find(c, kid))
                .collect().asList()
                .map(found -> {
                    found.forEach(k -> k.ifPresent(key -> out.put(key.kid(), key.secret())));
                    return out;
                });
    }

    private String response(boolean satisfied, UUID suspensionId, List<IssuedWaitpoint> waitpoints,
                            List<SignalRow> buffered) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("outcome", satisfied ? "already_satisfied" : "suspended");
        out.put("suspension_id", suspensionId.toString());
        ArrayNode list = out.putArray("waitpoints");
        for (IssuedWaitpoint w : waitpoints) {
            list.addObject().put("waitpoint_id", w.waitpointId().toString()).put("key", w.key()).put("token", w.token());
        }
        try {
            if (satisfied) {
                ArrayNode signals = out.putArray("resume_signals");
                for (SignalRow s : buffered) {
                    signals.add(json.readTree(s.json()));
                }
            }
            return json.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A waitpoint made before suspending; {@code created} is false when an open waitpoint of the
     * key existed (it is returned instead).
     */
    public Uni<IssuedWaitpoint> createWaitpoint(UUID id, Fence.Token fence, String key, Long expiresInMs) {
        long now = clock.millis();
        Long expiresAt = expiresInMs == null ? null : now + expiresInMs;
        return tx.run(c -> executions.lockFenced(c, id, fence, now).chain(locked -> {
            if (locked.isEmpty()) {
                return this.<IssuedWaitpoint>refuse(c, id, fence, now);
            }
            UUID wp = UUID.randomUUID();
            return store.expireDuePending(c, id, now)
                    .chain(() -> keys.signing(c))
                    .chain(signing -> store.insertPending(c, locked.get().partitionKey(), wp, id, key, signing.kid(),
                                    now, expiresAt)
                            .chain(inserted -> inserted.isPresent()
                                    ? Uni.createFrom().item(new IssuedWaitpoint(wp, key,
                                            WaitpointToken.sign(signing.kid(), signing.secret(), id, wp), true))
                                    : store.openByKey(c, id, key).chain(open -> existing(c, id, open.orElseThrow()))));
        }));
    }

    private Uni<IssuedWaitpoint> existing(SqlClient c, UUID id, WaitpointRef open) {
        return keys.find(c, open.tokenKid()).map(k -> new IssuedWaitpoint(open.waitpointId(), open.key(),
                WaitpointToken.sign(open.tokenKid(), k.orElseThrow().secret(), id, open.waitpointId()), false));
    }

    /** The fenced statement matched nothing: 404, or the fence 409 the facts call for. */
    private <T> Uni<T> refuse(SqlClient c, UUID id, Fence.Token fence, long now) {
        return executions.fenceFacts(c, List.of(id), List.of(fence.leaseId())).map(facts -> {
            ExecutionStore.FenceFacts f = facts.get(0);
            if (!f.exists()) {
                throw Problem.notFound("execution", id);
            }
            throw Fence.refusal(f.exec(), f.lease(), fence.leaseEpoch(), now);
        });
    }

    /** What identifies a suspend request, so a key reused for another request is caught. */
    private static String digest(Suspend r) {
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("reason", r.reason());
        parts.put("keys", r.waitpointKeys());
        parts.put("condition", r.condition());
        parts.put("timeout_ms", r.timeoutMs());
        parts.put("on_timeout", r.onTimeout());
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(parts.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

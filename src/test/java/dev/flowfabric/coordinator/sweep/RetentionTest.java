package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.service.EventService;
import dev.flowfabric.coordinator.service.Transactions;
import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.QuotaStore;
import dev.flowfabric.coordinator.store.RetentionStore;
import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Api.expect;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retention sweep (model.md §3), driven with a chosen {@code now}: what it deletes, with every
 * row kept for it, and what it must keep. The database holds other tests' rows too, so every
 * assertion is about this test's own executions, flows and events.
 */
@QuarkusTest
class RetentionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Inject
    RetentionSweep retention;

    @Inject
    Db db;

    @Inject
    FlowfabricConfig config;

    @Inject
    Pool pool;

    @Inject
    Transactions tx;

    @Inject
    RetentionStore store;

    @Inject
    QuotaStore quotas;

    @Inject
    EventService events;

    @Inject
    WorkSignals signals;

    @Inject
    Clock clock;

    @Inject
    FlowMetrics metrics;

    @Test
    void aTerminalExecutionPastTheAgeGoesWithEveryRowKeptForIt() {
        UUID id = richCompletedExecution(Api.freshLane());
        Map<String, Long> before = rowsKeptFor(id);
        before.forEach((table, n) -> {
            if (!table.startsWith("ff_edge") && !table.equals("ff_cancel_backlog_member")) {
                assertTrue(n > 0, () -> "the scenario should leave rows in " + table + ": " + before);
            }
        });

        assertTrue(sweep(longAfter()) >= 1);

        rowsKeptFor(id).forEach((table, n) -> assertEquals(0L, n, table));
        expect(Api.get("/v1/executions/" + id), 404);
        expect(Api.get("/v1/executions/" + id + "/attempts"), 404);
        expect(Api.get("/v1/executions/" + id + "/waitpoints"), 404);
        expect(Api.get("/v1/executions/" + id + "/summary"), 404);
    }

    @Test
    void youngerAndUnfinishedExecutionsStayWithTheirRows() {
        String lane = Api.freshLane();
        UUID old = richCompletedExecution(lane);
        UUID young = richCompletedExecution(lane);
        long oldEnd = terminalAt(old);
        long youngEnd = terminalAt(young);
        assertTrue(oldEnd < youngEnd, "the second execution ended later");
        UUID waiting = NewExecution.on(Api.freshLane()).create();
        String activeLane = Api.freshLane();
        UUID active = NewExecution.on(activeLane).create();
        Claim.on(activeLane).ttl(3_600_000).one();
        String suspendedLane = Api.freshLane();
        UUID suspended = NewExecution.on(suspendedLane).create();
        Lease parked = Claim.on(suspendedLane).ttl(3_600_000).one();
        expect(Api.post("/v1/executions/" + suspended + "/suspend", withFence(parked, Map.of(
                "reason", "waiting_for_signal", "waitpoints", List.of(Map.of("key", "k")),
                "condition", Map.of("all_of", List.of("k"))))), 200);
        Map<String, Long> youngRows = rowsKeptFor(young);
        Map<String, Long> suspendedRows = rowsKeptFor(suspended);

        // The young execution ended exactly at the cutoff: not older than the age, so it stays.
        sweep(youngEnd + config.retention().executionsAfter().toMillis());
        assertEquals(0L, rowsKeptFor(old).get("ff_exec_core"));
        assertEquals(youngRows, rowsKeptFor(young));
        assertEquals("completed", Api.publicState(young));
        JsonPath waitpoints = expect(Api.get("/v1/executions/" + young + "/waitpoints"), 200);
        assertEquals(List.of("closed"), waitpoints.getList("waitpoints.state"), "closed waitpoints stay readable");

        // However late it is, an execution that has not ended keeps everything.
        sweep(longAfter());
        assertEquals("waiting", Api.publicState(waiting));
        assertEquals("active", Api.publicState(active));
        assertEquals("suspended", Api.publicState(suspended));
        assertEquals(suspendedRows, rowsKeptFor(suspended));
        assertEquals(1L, rowsKeptFor(active).get("ff_attempt"));
    }

    @Test
    void aFlowStaysWhileAnyMemberIsLiveOrYoungAndGoesWhole() {
        String lane = Api.freshLane();
        String otherLane = Api.freshLane();
        String idleLane = Api.freshLane();
        JsonPath flow = expect(Api.post("/v1/flows", Map.of("kind", "retention", "nodes", List.of(
                node("a", lane), node("b", lane), node("c", otherLane), node("d", idleLane)),
                "edges", List.of(Map.of("from", "a", "to", "b")))), 201);
        UUID flowId = UUID.fromString(flow.getString("flow_id"));
        List<UUID> members = List.of("a", "b", "c", "d").stream()
                .map(ref -> UUID.fromString(flow.getString("nodes." + ref))).toList();
        expect(Api.put("/v1/flows/" + flowId + "/groups/" + members.get(1), Map.of("policy", "all_of")), 200);
        expect(Claim.on(lane).ttl(3_600_000).one().complete(Map.of()), 200);
        expect(Claim.on(lane).ttl(3_600_000).one().complete(Map.of()), 200);
        Lease c = Claim.on(otherLane).ttl(3_600_000).one();

        // Two members ended long ago, but the flow is running.
        sweep(longAfter());
        assertFlowKept(flowId, members);

        // Cancelled, but c runs on (cancel_pending leaves leased members alone): still kept.
        expect(Api.post("/v1/flows/" + flowId + "/cancel?wait=true", Map.of("policy", "cancel_pending")), 200);
        assertEquals("cancelled", Api.publicState(members.get(3)));
        sweep(longAfter());
        assertFlowKept(flowId, members);

        // Every member has ended; while the last one is young, the whole flow stays.
        expect(c.complete(Map.of()), 200);
        long lastEnd = terminalAt(c.executionId());
        sweep(lastEnd + config.retention().executionsAfter().toMillis());
        assertFlowKept(flowId, members);

        sweep(longAfter());
        assertEquals(Map.of("ff_flow_core", 0L, "ff_edge", 0L, "ff_edge_group", 0L, "ff_cancel_backlog", 0L,
                "ff_cancel_backlog_member", 0L), flowRows(flowId));
        for (UUID m : members) {
            rowsKeptFor(m).forEach((table, n) -> assertEquals(0L, n, table + " of member " + m));
        }
        expect(Api.get("/v1/flows/" + flowId), 404);
        expect(Api.get("/v1/executions/" + members.get(0)), 404);
    }

    @Test
    void rowsSomeoneHoldsAreLeftForTheNextSweep() {
        String lane = Api.freshLane();
        UUID solo = completedExecution(lane);
        JsonPath flow = expect(Api.post("/v1/flows", Map.of("kind", "retention",
                "nodes", List.of(node("a", lane), node("b", lane)))), 201);
        UUID flowId = UUID.fromString(flow.getString("flow_id"));
        UUID a = UUID.fromString(flow.getString("nodes.a"));
        UUID b = UUID.fromString(flow.getString("nodes.b"));
        for (Lease l : Claim.on(lane).max(2).ttl(3_600_000).leases()) {
            expect(l.complete(Map.of()), 200);
        }
        assertEquals("completed", expect(Api.get("/v1/flows/" + flowId), 200).getString("public_flow_state"));

        // A transaction holding the solo execution and one member (as a replay would) keeps both
        // executions, and b with its flow, out of this sweep.
        SqlConnection holder = pool.getConnection().await().atMost(TIMEOUT);
        try {
            Transaction held = holder.begin().await().atMost(TIMEOUT);
            holder.preparedQuery("SELECT 1 FROM ff_exec_core WHERE execution_id = ANY($1) FOR UPDATE")
                    .execute(Tuple.of(new UUID[] {solo, a})).await().atMost(TIMEOUT);
            sweep(longAfter());
            assertEquals(1L, rowsKeptFor(solo).get("ff_exec_core"));
            assertFlowKept(flowId, List.of(a, b));
            held.rollback().await().atMost(TIMEOUT);
        } finally {
            holder.close().await().atMost(TIMEOUT);
        }

        sweep(longAfter());
        assertEquals(0L, rowsKeptFor(solo).get("ff_exec_core"));
        assertEquals(0L, flowRows(flowId).get("ff_flow_core"));
        assertEquals(0L, rowsKeptFor(b).get("ff_exec_core"));
    }

    @Test
    void aQuotaSlotAnAttemptStillHoldsIsFreedBeforeTheAttemptGoes() {
        String lane = Api.freshLane();
        String quota = expect(Api.post("/v1/quotas", Map.of("window_ms", 60_000, "max_concurrent", 1)), 201)
                .getString("quota_policy_id");
        UUID id = NewExecution.on(lane).with("quota_policy_id", quota).create();
        Claim.on(lane).ttl(3_600_000).one();
        assertEquals(1, expect(Api.get("/v1/quotas/" + quota), 200).getLong("concurrent_count"));
        // Ended by a write that ran no hook (a crash between statements, a hand repair): the
        // attempt still holds the slot.
        db.update("""
                UPDATE ff_exec_core SET lifecycle_phase = 'terminal', ownership_state = 'unowned',
                       eligibility_state = 'not_applicable', attempt_state = 'attempt_terminal',
                       terminal_outcome = 'failed', terminal_at_ms = $2 WHERE execution_id = $1""",
                id, clock.millis());
        db.update("UPDATE ff_attempt SET lease_expires_at_ms = NULL, outcome = 'failed' WHERE execution_id = $1", id);

        sweep(longAfter());

        assertEquals(0L, rowsKeptFor(id).get("ff_attempt"));
        assertEquals(0, expect(Api.get("/v1/quotas/" + quota), 200).getLong("concurrent_count"));
    }

    @Test
    void eventsGoOnlyOnceOldAndPublishedByTheRelay() {
        await().atMost(TIMEOUT).until(() -> !db.rows("SELECT 1 FROM ff_event_relay WHERE relay = $1",
                EventRelay.RELAY).isEmpty());
        long t = clock.millis();
        long age = config.retention().eventsAfter().toMillis();
        long oldEvent;
        long youngEvent;
        // The relay's lease taken away: it publishes nothing until it is given back.
        db.update("UPDATE ff_event_relay SET owner = 'retention-test', lease_until_ms = $2 WHERE relay = $1",
                EventRelay.RELAY, Long.MAX_VALUE);
        try {
            oldEvent = insertEvent(t);
            youngEvent = insertEvent(t + Duration.ofDays(1).toMillis());
            assertTrue(relayCursor() < oldEvent);

            sweep(t + age + 1);
            assertTrue(eventExists(oldEvent), "old but not published");
            assertTrue(eventExists(youngEvent));
        } finally {
            db.update("UPDATE ff_event_relay SET owner = NULL, lease_until_ms = 0 WHERE relay = $1", EventRelay.RELAY);
        }
        await().atMost(TIMEOUT).until(() -> relayCursor() >= youngEvent);

        sweep(t + age + 1);
        assertFalse(eventExists(oldEvent), "old and published");
        assertTrue(eventExists(youngEvent), "published but young");

        sweep(longAfter());
        assertFalse(eventExists(youngEvent));
    }

    @Test
    void withoutTheRelayEventsStillGoOnlyBelowTheReadersHorizon() {
        RetentionSweep noRelay = sweepWith(Map.of("events.relay.enabled", false));
        long t = clock.millis();
        long now = t + config.retention().eventsAfter().toMillis() + 1;
        SqlConnection holder = pool.getConnection().await().atMost(TIMEOUT);
        long held;
        long later;
        try {
            // An event id drawn by a transaction still open: readers do not pass it yet, so
            // neither may retention delete the committed events after it.
            Transaction open = holder.begin().await().atMost(TIMEOUT);
            held = holder.preparedQuery(
                            "INSERT INTO ff_event (type, at_ms) VALUES ('test.held', $1) RETURNING event_id")
                    .execute(Tuple.of(t)).await().atMost(TIMEOUT).iterator().next().getLong("event_id");
            later = insertEvent(t);
            assertTrue(later > held);
            noRelay.sweepOnce(now).await().atMost(TIMEOUT);
            assertTrue(eventExists(later), "above the horizon");
            open.commit().await().atMost(TIMEOUT);
        } finally {
            holder.close().await().atMost(TIMEOUT);
        }
        noRelay.sweepOnce(now).await().atMost(TIMEOUT);
        assertFalse(eventExists(held));
        assertFalse(eventExists(later));
    }

    @Test
    void twoConcurrentSweepsDeleteEverythingDueOnceAndARepeatFindsNothingOfIt() {
        sweep(longAfter());
        String lane = Api.freshLane();
        List<UUID> solo = NewExecution.on(lane).createMany(40);
        List<Map<String, Object>> items = new ArrayList<>();
        Claim.on(lane).max(40).ttl(3_600_000).leases().forEach(l -> items.add(l.completionItem(Map.of())));
        expect(Api.post("/v1/executions/complete", Map.of("items", items)), 200);
        List<UUID> flows = new ArrayList<>();
        List<UUID> members = new ArrayList<>();
        String flowLane = Api.freshLane();
        for (int i = 0; i < 5; i++) {
            JsonPath f = expect(Api.post("/v1/flows", Map.of("kind", "retention", "nodes", List.of(
                    node("a", flowLane), node("b", flowLane), node("c", flowLane)))), 201);
            flows.add(UUID.fromString(f.getString("flow_id")));
            List.of("a", "b", "c").forEach(ref -> members.add(UUID.fromString(f.getString("nodes." + ref))));
        }
        for (Lease l : Claim.on(flowLane).max(15).ttl(3_600_000).leases()) {
            expect(l.complete(Map.of()), 200);
        }
        // Small batches, so the two callers interleave batch by batch (events are another test's).
        Map<String, Object> small = Map.of("sweep.batch-size", 7, "retention.events-after", Duration.ofDays(36_500));
        RetentionSweep one = sweepWith(small);
        RetentionSweep two = sweepWith(small);
        long now = longAfter();

        var both = Uni.combine().all().unis(one.sweepOnce(now), two.sweepOnce(now)).asTuple()
                .await().atMost(TIMEOUT);
        assertTrue(both.getItem1() + both.getItem2() >= solo.size() + members.size() + flows.size());
        List<UUID> all = new ArrayList<>(solo);
        all.addAll(members);
        assertEquals(0L, count("SELECT count(*) FROM ff_exec_core WHERE execution_id = ANY($1)",
                (Object) all.toArray(UUID[]::new)));
        assertEquals(0L, count("SELECT count(*) FROM ff_attempt WHERE execution_id = ANY($1)",
                (Object) all.toArray(UUID[]::new)));
        assertEquals(0L, count("SELECT count(*) FROM ff_flow_core WHERE flow_id = ANY($1)",
                (Object) flows.toArray(UUID[]::new)));

        sweep(now);
        assertEquals(0L, count("SELECT count(*) FROM ff_exec_core WHERE execution_id = ANY($1)",
                (Object) all.toArray(UUID[]::new)));
    }

    @Test
    void switchedOffItDeletesNothing() {
        UUID id = completedExecution(Api.freshLane());
        RetentionSweep off = sweepWith(Map.of("retention.enabled", false));
        assertEquals(0, off.sweepOnce(longAfter()).await().atMost(TIMEOUT));
        assertEquals("completed", Api.publicState(id));
    }

    // ---- scenarios ----------------------------------------------------------------------------

    /**
     * A completed execution with a row in every table that keeps rows per execution: two attempt
     * leases (suspended, signalled, resumed), its waitpoint, suspension and signal, an output stream
     * with frames and a summary, and a budget ledger entry.
     */
    private UUID richCompletedExecution(String lane) {
        UUID id = NewExecution.on(lane).create();
        String budget = expect(Api.post("/v1/budgets", Map.of("scope", "execution", "scope_id", id.toString(),
                "limits", Map.of("tokens", Map.of("hard", 1000)))), 201).getString("budget_id");
        expect(Api.post("/v1/budgets/" + budget + "/usage", Map.of("usage", Map.of("tokens", 5),
                "execution_id", id.toString())), 200);
        Lease first = Claim.on(lane).ttl(3_600_000).one();
        JsonPath suspended = expect(Api.post("/v1/executions/" + id + "/suspend", withFence(first, Map.of(
                "reason", "waiting_for_signal", "waitpoints", List.of(Map.of("key", "go")),
                "condition", Map.of("all_of", List.of("go"))))), 200);
        expect(Api.post("/v1/executions/" + id + "/signals", Map.of(
                "waitpoint_id", suspended.getString("waitpoints[0].waitpoint_id"),
                "token", suspended.getString("waitpoints[0].token"), "name", "go")), 202);
        Lease resumed = Claim.on(lane).ttl(3_600_000).one();
        String frames = "/v1/executions/" + id + "/attempts/" + resumed.attemptIndex() + "/frames";
        expect(Api.post(frames, withFence(resumed, Map.of("frame_type", "log", "payload", Map.of("line", 1)))), 201);
        expect(Api.post(frames, withFence(resumed, Map.of("frame_type", "state", "payload", Map.of("step", 2),
                "mode", "summary"))), 201);
        expect(resumed.complete(Map.of("ok", true)), 200);
        return id;
    }

    private UUID completedExecution(String lane) {
        UUID id = NewExecution.on(lane).create();
        expect(Claim.on(lane).ttl(3_600_000).one().complete(Map.of()), 200);
        return id;
    }

    private static Map<String, Object> node(String ref, String lane) {
        return Map.of("ref", ref, "lane", lane, "kind", "step");
    }

    private static Map<String, Object> withFence(Lease lease, Map<String, Object> fields) {
        Map<String, Object> body = lease.fence();
        body.putAll(fields);
        return body;
    }

    // ---- what is stored -----------------------------------------------------------------------

    /** Rows of one execution in every table that keeps rows per execution or per attempt. */
    private Map<String, Long> rowsKeptFor(UUID id) {
        Map<String, Long> rows = new LinkedHashMap<>();
        for (String table : List.of("ff_exec_core", "ff_attempt", "ff_suspension", "ff_waitpoint", "ff_signal",
                "ff_stream", "ff_stream_frame", "ff_stream_summary", "ff_budget_exec_usage",
                "ff_cancel_backlog_member")) {
            rows.put(table, count("SELECT count(*) FROM " + table + " WHERE execution_id = $1", id));
        }
        rows.put("ff_edge", count("SELECT count(*) FROM ff_edge WHERE upstream_id = $1 OR downstream_id = $1", id));
        rows.put("ff_edge_group", count("SELECT count(*) FROM ff_edge_group WHERE downstream_id = $1", id));
        return rows;
    }

    private Map<String, Long> flowRows(UUID flowId) {
        Map<String, Long> rows = new LinkedHashMap<>();
        for (String table : List.of("ff_flow_core", "ff_edge", "ff_edge_group", "ff_cancel_backlog",
                "ff_cancel_backlog_member")) {
            rows.put(table, count("SELECT count(*) FROM " + table + " WHERE flow_id = $1", flowId));
        }
        return rows;
    }

    private void assertFlowKept(UUID flowId, List<UUID> members) {
        assertEquals(1L, flowRows(flowId).get("ff_flow_core"), "flow header");
        expect(Api.get("/v1/flows/" + flowId), 200);
        for (UUID m : members) {
            assertEquals(1L, rowsKeptFor(m).get("ff_exec_core"), () -> "member " + m);
        }
        assertEquals(members.size(), expect(Api.get("/v1/flows/" + flowId + "/members"), 200)
                .getList("executions").size());
    }

    private long count(String sql, Object... args) {
        return db.run(sql, args).iterator().next().getLong(0);
    }

    private long terminalAt(UUID id) {
        return (Long) db.execCore(id).get("terminal_at_ms");
    }

    private long insertEvent(long atMs) {
        return db.run("INSERT INTO ff_event (type, at_ms) VALUES ('test.retention', $1) RETURNING event_id", atMs)
                .iterator().next().getLong("event_id");
    }

    private boolean eventExists(long eventId) {
        return count("SELECT count(*) FROM ff_event WHERE event_id = $1", eventId) == 1;
    }

    private long relayCursor() {
        return count("SELECT last_event_id FROM ff_event_relay WHERE relay = $1", EventRelay.RELAY);
    }

    // ---- driving the sweep --------------------------------------------------------------------

    /** A moment at which everything this test made is older than both retention ages. */
    private long longAfter() {
        return clock.millis() + config.retention().executionsAfter().toMillis()
                + config.retention().eventsAfter().toMillis() + Duration.ofDays(1).toMillis();
    }

    private int sweep(long now) {
        return retention.sweepOnce(now).await().atMost(TIMEOUT);
    }

    /** Another replica's sweep, configured like this one except for the settings given by dotted path. */
    private RetentionSweep sweepWith(Map<String, Object> settings) {
        return new RetentionSweep(tx, pool, store, quotas, events, signals, clock,
                overriding(FlowfabricConfig.class, config, "", settings), metrics);
    }

    @SuppressWarnings("unchecked")
    private static <T> T overriding(Class<T> type, T base, String prefix, Map<String, Object> settings) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            String path = prefix + kebab(method.getName());
            if (settings.containsKey(path)) {
                return settings.get(path);
            }
            Object value = invoke(method, base, args);
            boolean nested = settings.keySet().stream().anyMatch(k -> k.startsWith(path + "."));
            return nested ? overriding((Class<Object>) method.getReturnType(), value, path + ".", settings) : value;
        });
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static String kebab(String name) {
        return name.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase();
    }
}

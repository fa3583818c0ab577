package dev.flowfabric.coordinator.flows;

import dev.flowfabric.coordinator.flows.Flows.Lease;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static dev.flowfabric.coordinator.flows.Flows.*;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Joins, skips and their propagation, resolved in the transaction of each upstream's end (api.md §3). */
@QuarkusTest
class FlowResolutionTest {

    @Inject
    Pool pool;

    @Test
    void diamondAllOfRunsTheJoinOnlyAfterBothBranches() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"diamond\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "," + node("d", lane) + "],\"edges\":[" + edge("a", "b") + "," + edge("a", "c")
                + "," + edge("b", "d") + "," + edge("c", "d") + "]}");
        String flow = f.getString("flow_id");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), c = f.getString("nodes.c"),
                d = f.getString("nodes.d");
        assertEquals(8, f.getLong("graph_revision"), "4 members and 4 edges");
        assertEquals("open", f.getString("public_flow_state"));
        assertEquals(1, f.getInt("counts.waiting"));
        assertEquals(3, f.getInt("counts.waiting_children"));

        Map<String, Lease> first = claimAll(lane);
        assertEquals(Set.of(a), first.keySet(), "only the root is claimable");
        assertEquals("running", flowState(flow));
        complete(first.get(a)).statusCode(200);

        Map<String, Lease> second = claimAll(lane);
        assertEquals(Set.of(b, c), second.keySet());
        complete(second.get(b)).statusCode(200);
        assertEquals("waiting_children", state(d), "one branch is not enough for all_of");
        assertEquals("pending", edgeState(flow, c, d));
        complete(second.get(c)).statusCode(200);
        assertEquals("waiting", state(d));

        Map<String, Lease> third = claimAll(lane);
        assertEquals(Set.of(d), third.keySet());
        complete(third.get(d)).statusCode(200);
        get("/v1/flows/" + flow).statusCode(200).body("public_flow_state", equalTo("completed"))
                .body("counts.completed", equalTo(4));
        assertNotNull(get("/v1/flows/" + flow).extract().path("terminal_at_ms"));
        assertEquals(1, events(pool, "flow.completed", flow));
        assertEquals("satisfied", edgeState(flow, c, d));
    }

    @Test
    void anyOfWithCancelRemainingCancelsTheLosersAndRunsTheWinnersDownstream() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"race\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "," + node("d", lane) + "," + node("e", lane) + "],\"edges\":["
                + edge("a", "d") + "," + edge("b", "d") + "," + edge("c", "d") + "," + edge("d", "e")
                + "],\"groups\":[{\"to\":\"d\",\"policy\":\"any_of\",\"on_satisfied\":\"cancel_remaining\"}]}");
        String flow = f.getString("flow_id");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), c = f.getString("nodes.c"),
                d = f.getString("nodes.d"), e = f.getString("nodes.e");
        Map<String, Lease> leases = new java.util.HashMap<>();
        claim(lane, 2).forEach(l -> leases.put(l.executionId(), l));
        assertEquals(2, leases.size());
        String winner = leases.containsKey(a) ? a : leases.keySet().iterator().next();
        String leasedLoser = leases.keySet().stream().filter(x -> !x.equals(winner)).findFirst().orElseThrow();
        String waitingLoser = Set.of(a, b, c).stream().filter(x -> !leases.containsKey(x)).findFirst().orElseThrow();

        complete(leases.get(winner)).statusCode(200);
        assertEquals("waiting", state(d), "one upstream satisfies any_of");
        assertEquals("cancelled", state(leasedLoser));
        assertEquals("cancelled", state(waitingLoser));
        complete(leases.get(leasedLoser)).statusCode(409).body("kind", equalTo("execution_not_active"))
                .body("terminal_outcome", equalTo("cancelled"));

        Map<String, Lease> next = claimAll(lane);
        assertEquals(Set.of(d), next.keySet());
        complete(next.get(d)).statusCode(200);
        Map<String, Lease> last = claimAll(lane);
        assertEquals(Set.of(e), last.keySet());
        complete(last.get(e)).statusCode(200);
        assertEquals("completed", flowState(flow), "siblings cancelled by cancel_remaining count as fine");
    }

    @Test
    void aSiblingBusyWhenTheJoinIsMetIsCancelledOnceItIsFree() throws Exception {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"race\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("d", lane) + "],\"edges\":[" + edge("a", "d") + "," + edge("b", "d")
                + "],\"groups\":[{\"to\":\"d\",\"policy\":\"any_of\"}]}");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), d = f.getString("nodes.d");
        Map<String, Lease> ups = claimAll(lane);
        try (AutoCloseable busy = hold(pool, b)) {
            complete(ups.get(a)).statusCode(200);
            assertEquals("waiting", state(d));
            assertEquals("active", state(b), "a busy sibling is not waited for; its cancel is owed");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals("cancelled", state(b)));
        complete(ups.get(b)).statusCode(409).body("kind", equalTo("execution_not_active"));
    }

    @Test
    void quorumTwoOfThreeWithLetRunReleasesOnTheSecondSuccessAndLetsTheThirdFinish() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"quorum\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "," + node("d", lane) + "],\"edges\":[" + edge("a", "d") + "," + edge("b", "d")
                + "," + edge("c", "d") + "],\"groups\":[{\"to\":\"d\",\"policy\":\"quorum\",\"k\":2,"
                + "\"on_satisfied\":\"let_run\"}]}");
        String flow = f.getString("flow_id");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), c = f.getString("nodes.c"),
                d = f.getString("nodes.d");
        Map<String, Lease> ups = claimAll(lane);
        assertEquals(Set.of(a, b, c), ups.keySet());
        complete(ups.get(a)).statusCode(200);
        assertEquals("waiting_children", state(d));
        complete(ups.get(b)).statusCode(200);
        assertEquals("waiting", state(d));
        assertEquals("active", state(c), "let_run leaves the third upstream running");
        complete(ups.get(c)).statusCode(200);
        Map<String, Lease> down = claimAll(lane);
        assertEquals(Set.of(d), down.keySet());
        complete(down.get(d)).statusCode(200);
        assertEquals("completed", flowState(flow));
    }

    @Test
    void quorumThatCanNoLongerBeMetSkipsTheDownstream() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"quorum\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "," + node("d", lane) + "],\"edges\":[" + edge("a", "d") + "," + edge("b", "d")
                + "," + edge("c", "d") + "],\"groups\":[{\"to\":\"d\",\"policy\":\"quorum\",\"k\":2}]}");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), d = f.getString("nodes.d");
        Map<String, Lease> ups = claimAll(lane);
        fail(ups.get(a)).statusCode(200);
        assertEquals("waiting_children", state(d), "two of the three may still succeed");
        fail(ups.get(b)).statusCode(200);
        assertEquals("skipped", state(d));
    }

    @Test
    void aFailedUpstreamSkipsItsDownstreamAndTheSkipPropagates() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"chain\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "],\"edges\":[" + edge("a", "b") + "," + edge("b", "c") + "]}");
        String flow = f.getString("flow_id");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), c = f.getString("nodes.c");
        fail(claimAll(lane).get(a)).statusCode(200).body("outcome", equalTo("failed"));
        get("/v1/executions/" + b).statusCode(200).body("public_state", equalTo("skipped"))
                .body("terminal_outcome", equalTo("skipped"));
        assertEquals("skipped", state(c));
        assertEquals("impossible", edgeState(flow, a, b));
        assertEquals("impossible", edgeState(flow, b, c), "a skipped upstream fails a success edge");
        assertEquals(1, events(pool, "execution.skipped", b));
        assertEquals(1, events(pool, "execution.skipped", c));
        assertEquals("failed", flowState(flow));
        assertEquals(1, events(pool, "flow.failed", flow));
        assertTrue(claimAll(lane).isEmpty());
    }

    @Test
    void aCompletionEdgeRunsItsDownstreamAfterAFailure() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"cleanup\",\"nodes\":[" + node("work", lane) + ","
                + node("cleanup", lane) + "],\"edges\":[" + edge("work", "cleanup", "completion") + "]}");
        String flow = f.getString("flow_id");
        String work = f.getString("nodes.work"), cleanup = f.getString("nodes.cleanup");
        fail(claimAll(lane).get(work)).statusCode(200);
        assertEquals("waiting", state(cleanup));
        assertEquals("satisfied", edgeState(flow, work, cleanup));
        assertEquals("open", flowState(flow));
        complete(claimAll(lane).get(cleanup)).statusCode(200);
        assertEquals("failed", flowState(flow), "a failed member fails the flow");
    }

    @Test
    void anEdgeFromAFinishedUpstreamResolvesAtOnce() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"late\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "]}");
        String flow = f.getString("flow_id");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b");
        Lease la = claim(lane, 1).get(0);
        String other = la.executionId().equals(a) ? b : a;
        complete(la).statusCode(200);
        // A finished upstream: the edge is satisfied on the spot and the downstream stays claimable.
        post("/v1/flows/" + flow + "/edges", "{\"from\":\"" + la.executionId() + "\",\"to\":\"" + other + "\"}")
                .statusCode(201);
        assertEquals("satisfied", edgeState(flow, la.executionId(), other));
        assertEquals("waiting", state(other));

        // A failed upstream: the edge is impossible at once and the downstream that never ran is skipped.
        String lane2 = lane();
        JsonPath g = createFlow("{\"kind\":\"late\",\"nodes\":[" + node("x", lane2) + "," + node("y", lane) + "]}");
        String x = g.getString("nodes.x"), y = g.getString("nodes.y");
        fail(claimAll(lane2).get(x)).statusCode(200);
        post("/v1/flows/" + g.getString("flow_id") + "/edges", "{\"from\":\"" + x + "\",\"to\":\"" + y + "\"}")
                .statusCode(201);
        assertEquals("impossible", edgeState(g.getString("flow_id"), x, y));
        assertEquals("skipped", state(y));
    }

    @Test
    void anEdgeGatesADownstreamOnlyWhileItHasNeverBeenClaimed() {
        String lane = lane();
        String upLane = lane();
        JsonPath f = createFlow("{\"kind\":\"gate\",\"nodes\":[" + node("up", upLane) + "," + node("fresh", lane)
                + "]}");
        String flow = f.getString("flow_id");
        String up = f.getString("nodes.up"), fresh = f.getString("nodes.fresh");
        post("/v1/flows/" + flow + "/edges", "{\"from\":\"" + up + "\",\"to\":\"" + fresh + "\"}").statusCode(201);
        get("/v1/executions/" + fresh).statusCode(200).body("public_state", equalTo("waiting_children"))
                .body("eligibility_state", equalTo("blocked_by_dependencies"));
        assertTrue(claimAll(lane).isEmpty(), "a gated member is not claimable");

        // A member that already runs is not gated by a new edge.
        String running = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\",\"flow_id\":\"" + flow
                + "\"}").statusCode(201).extract().path("execution_id");
        Lease lease = claimAll(lane).get(running);
        post("/v1/flows/" + flow + "/edges", "{\"from\":\"" + up + "\",\"to\":\"" + running + "\"}").statusCode(201);
        assertEquals("active", state(running));
        complete(lease).statusCode(200);

        complete(claimAll(upLane).get(up)).statusCode(200);
        assertEquals("waiting", state(fresh));
    }

    @Test
    void changingAJoinAppliesItAtOnce() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"regroup\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("d", lane) + "],\"edges\":[" + edge("a", "d") + "," + edge("b", "d") + "]}");
        String flow = f.getString("flow_id");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), d = f.getString("nodes.d");
        Map<String, Lease> ups = claimAll(lane);
        complete(ups.get(a)).statusCode(200);
        assertEquals("waiting_children", state(d));
        put("/v1/flows/" + flow + "/groups/" + d, "{\"policy\":\"any_of\",\"on_satisfied\":\"let_run\"}")
                .statusCode(200).body("policy", equalTo("any_of")).body("on_satisfied", equalTo("let_run"))
                .body("downstream_id", equalTo(d));
        assertEquals("waiting", state(d));
        assertEquals("active", state(b), "let_run");
        Lease ld = claimAll(lane).get(d);
        put("/v1/flows/" + flow + "/groups/" + d, "{\"policy\":\"all_of\"}").statusCode(409)
                .body("kind", equalTo("not_runnable"));
        complete(ld).statusCode(200);
        complete(ups.get(b)).statusCode(200);
        assertEquals("completed", flowState(flow));
    }

    @Test
    void flowStateFollowsItsMembers() {
        String lane = lane();
        String flow = createFlow("{\"kind\":\"states\"}").getString("flow_id");
        assertEquals("open", flowState(flow), "a flow without members is open");
        String far = Long.toString(System.currentTimeMillis() + 3_600_000L);
        String delayed = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\",\"flow_id\":\"" + flow
                + "\",\"delay_until_ms\":" + far + "}").statusCode(201).extract().path("execution_id");
        assertEquals("blocked", flowState(flow), "every live member is delayed");
        String now = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\",\"flow_id\":\"" + flow
                + "\"}").statusCode(201).extract().path("execution_id");
        assertEquals("open", flowState(flow), "a member waits for a worker");
        Lease l = claimAll(lane).get(now);
        assertEquals("running", flowState(flow));
        complete(l).statusCode(200);
        assertEquals("blocked", flowState(flow), "the one live member is delayed");
        post("/v1/executions/" + delayed + "/cancel", "{\"reason\":\"operator\"}").statusCode(200);
        assertEquals("cancelled", flowState(flow), "a member cancelled by an operator cancels the flow");
        assertEquals(1, events(pool, "flow.cancelled", flow));
        post("/v1/flows/" + flow + "/members", "{\"execution_id\":\"" + now + "\"}").statusCode(200);
        post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\",\"flow_id\":\"" + flow + "\"}")
                .statusCode(409).body("kind", equalTo("flow_already_terminal"));
    }

    @Test
    void graphRevisionCountsMembersAndEdges() {
        String lane = lane();
        String flow = createFlow("{\"kind\":\"rev\"}").getString("flow_id");
        get("/v1/flows/" + flow).statusCode(200).body("graph_revision", equalTo(0));
        String a = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\",\"flow_id\":\"" + flow + "\"}")
                .statusCode(201).extract().path("execution_id");
        get("/v1/flows/" + flow).statusCode(200).body("graph_revision", equalTo(1));
        var solo = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\"}").statusCode(201).extract();
        String b = solo.path("execution_id");
        int soloPartition = solo.path("partition_key");
        int flowPartition = get("/v1/flows/" + flow).extract().path("partition_key");
        if (soloPartition == flowPartition) {
            post("/v1/flows/" + flow + "/members", "{\"execution_id\":\"" + b + "\"}").statusCode(201)
                    .body("graph_revision", equalTo(2));
        } else {
            post("/v1/flows/" + flow + "/members", "{\"execution_id\":\"" + b + "\"}").statusCode(400)
                    .body("kind", equalTo("partition_mismatch"));
            b = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\",\"flow_id\":\"" + flow + "\"}")
                    .statusCode(201).extract().path("execution_id");
        }
        get("/v1/flows/" + flow).statusCode(200).body("graph_revision", equalTo(2));
        post("/v1/flows/" + flow + "/edges", "{\"from\":\"" + a + "\",\"to\":\"" + b
                + "\",\"expected_graph_revision\":2}").statusCode(201).body("graph_revision", equalTo(3));
        get("/v1/flows/" + flow + "/members").statusCode(200).body("executions.size()", equalTo(2));
        get("/v1/flows/" + flow + "/edges").statusCode(200).body("edges.size()", equalTo(1))
                .body("edges[0].condition", equalTo("success")).body("edges[0].state", equalTo("pending"));
    }

    @Test
    void membersAndEdgesArePaged() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"pages\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "],\"edges\":[" + edge("a", "b") + "," + edge("a", "c") + ","
                + edge("b", "c", "completion") + "]}");
        String flow = f.getString("flow_id");
        var first = get("/v1/flows/" + flow + "/edges?limit=2").statusCode(200).body("edges.size()", equalTo(2))
                .extract().jsonPath();
        String cursor = first.getString("next_cursor");
        assertNotNull(cursor);
        get("/v1/flows/" + flow + "/edges?limit=2&cursor=" + cursor).statusCode(200).body("edges.size()", equalTo(1))
                .body("next_cursor", org.hamcrest.Matchers.nullValue());
        var members = get("/v1/flows/" + flow + "/members?limit=2").statusCode(200)
                .body("executions.size()", equalTo(2)).extract().jsonPath();
        get("/v1/flows/" + flow + "/members?limit=2&cursor=" + members.getString("next_cursor")).statusCode(200)
                .body("executions.size()", equalTo(1));
        get("/v1/flows/" + flow + "/edges?cursor=bogus").statusCode(400).body("kind", equalTo("invalid_cursor"));
    }

    @Test
    void aRepeatedCreateWithTheSameFlowIdAnswersTheFirstFlow() {
        String lane = lane();
        String id = java.util.UUID.randomUUID().toString();
        String body = "{\"flow_id\":\"" + id + "\",\"kind\":\"again\",\"nodes\":[" + node("a", lane) + ","
                + node("b", lane) + "],\"edges\":[" + edge("a", "b") + "]}";
        JsonPath first = createFlow(body);
        JsonPath second = post("/v1/flows", body).statusCode(200).extract().jsonPath();
        assertEquals(first.getString("nodes.a"), second.getString("nodes.a"));
        assertEquals(first.getString("nodes.b"), second.getString("nodes.b"));
        assertEquals(3, second.getLong("graph_revision"));
        get("/v1/flows/" + id + "/members").statusCode(200).body("executions.size()", equalTo(2));
        post("/v1/flows", "{\"flow_id\":\"" + id + "\",\"kind\":\"other\"}").statusCode(409)
                .body("kind", equalTo("idempotency_conflict"));
    }
}

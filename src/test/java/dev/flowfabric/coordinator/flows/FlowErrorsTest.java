package dev.flowfabric.coordinator.flows;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static dev.flowfabric.coordinator.flows.Flows.*;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** Every 4xx of api.md §3, as problem+json with its stable kind, and no half-written rows. */
@QuarkusTest
class FlowErrorsTest {

    @Test
    void unknownFlowsAreNotFound() {
        String missing = UUID.randomUUID().toString();
        get("/v1/flows/" + missing).statusCode(404).contentType(startsWith("application/problem+json"))
                .body("kind", equalTo("not_found")).body("entity", equalTo("flow"));
        get("/v1/flows/" + missing + "/members").statusCode(404).body("kind", equalTo("not_found"));
        get("/v1/flows/" + missing + "/edges").statusCode(404).body("kind", equalTo("not_found"));
        post("/v1/flows/" + missing + "/members", "{\"execution_id\":\"" + UUID.randomUUID() + "\"}")
                .statusCode(404).body("kind", equalTo("not_found"));
        post("/v1/flows/" + missing + "/cancel", "{\"policy\":\"cancel_all\"}").statusCode(404)
                .body("entity", equalTo("flow"));
        get("/v1/flows/not-a-uuid").statusCode(400).body("kind", equalTo("invalid_input"));
    }

    @Test
    void malformedCreatesAreRejectedWhole() {
        String lane = lane();
        post("/v1/flows", "{\"kind\":\"k\",\"typo\":1}").statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/flows", "{}").statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[{\"lane\":\"" + lane + "\",\"kind\":\"s\"}]}").statusCode(400)
                .body("detail", containsString("ref"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[{\"ref\":\"a\",\"lane\":\"" + lane + "\",\"kind\":\"s\","
                + "\"bogus\":true}]}").statusCode(400).body("kind", equalTo("invalid_input"))
                .body("detail", containsString("nodes[0]"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("a", lane) + "]}")
                .statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "],\"edges\":[" + edge("a", "nope")
                + "]}").statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "],\"edges\":["
                + edge("a", "b", "sometimes") + "]}").statusCode(400).body("kind", equalTo("invalid_condition"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "],\"edges\":["
                + edge("a", "b") + "],\"groups\":[{\"to\":\"b\",\"policy\":\"most_of\"}]}").statusCode(400)
                .body("kind", equalTo("invalid_policy"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "],\"edges\":["
                + edge("a", "b") + "],\"groups\":[{\"to\":\"b\",\"policy\":\"quorum\",\"k\":2}]}").statusCode(400)
                .body("kind", equalTo("invalid_policy"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "],\"edges\":["
                + edge("a", "b") + "],\"groups\":[{\"to\":\"b\",\"policy\":\"any_of\",\"k\":1}]}").statusCode(400)
                .body("kind", equalTo("invalid_policy"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "],\"edges\":["
                + edge("a", "b") + "," + edge("b", "a") + "]}").statusCode(409).body("kind", equalTo("cycle_detected"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "],\"edges\":[" + edge("a", "a") + "]}")
                .statusCode(409).body("kind", equalTo("self_referencing_edge"));
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "],\"edges\":["
                + edge("a", "b") + "," + edge("a", "b", "completion") + "]}").statusCode(409)
                .body("kind", equalTo("dependency_already_exists"));
        // Nothing of the rejected creates was written.
        get("/v1/executions?lane=" + lane).statusCode(200).body("executions.size()", equalTo(0));
    }

    @Test
    void aFlowCreateMayCarryUpToOneMebibyte() {
        String lane = lane();
        String big = "x".repeat(100_000);
        StringBuilder nodes = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            nodes.append(i == 0 ? "" : ",").append("{\"ref\":\"n").append(i).append("\",\"lane\":\"").append(lane)
                    .append("\",\"kind\":\"k\",\"input\":{\"blob\":\"").append(big).append("\"}}");
        }
        post("/v1/flows", "{\"kind\":\"big\",\"nodes\":[" + nodes + "]}").statusCode(201);
        post("/v1/flows", "{\"kind\":\"huge\",\"pad\":\"" + "x".repeat(1_100_000) + "\"}").statusCode(413);
        io.restassured.RestAssured.given().contentType("text/plain").body("kind=k").post("/v1/flows").then()
                .statusCode(415).body("kind", equalTo("unsupported_media_type"));
    }

    @Test
    void aNodeThatExistsOutsideTheFlowIsAConflict() {
        String lane = lane();
        String existing = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"step\"}").statusCode(201)
                .extract().path("execution_id");
        post("/v1/flows", "{\"kind\":\"k\",\"nodes\":[{\"ref\":\"a\",\"execution_id\":\"" + existing
                + "\",\"lane\":\"" + lane + "\",\"kind\":\"step\"}]}").statusCode(409)
                .body("kind", equalTo("idempotency_conflict"));
    }

    @Test
    void edgeConflicts() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "],\"edges\":[" + edge("a", "b") + "," + edge("b", "c") + "]}");
        String flow = f.getString("flow_id");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), c = f.getString("nodes.c");
        String edges = "/v1/flows/" + flow + "/edges";
        post(edges, "{\"from\":\"" + b + "\",\"to\":\"" + a + "\"}").statusCode(409)
                .body("kind", equalTo("cycle_detected"));
        post(edges, "{\"from\":\"" + c + "\",\"to\":\"" + a + "\"}").statusCode(409)
                .body("kind", equalTo("cycle_detected"));
        post(edges, "{\"from\":\"" + a + "\",\"to\":\"" + a + "\"}").statusCode(409)
                .body("kind", equalTo("self_referencing_edge"));
        post(edges, "{\"from\":\"" + a + "\",\"to\":\"" + b + "\"}").statusCode(409)
                .body("kind", equalTo("dependency_already_exists"));
        post(edges, "{\"from\":\"" + a + "\",\"to\":\"" + c + "\",\"expected_graph_revision\":4}").statusCode(409)
                .body("kind", equalTo("stale_graph_revision")).body("expected_graph_revision", equalTo(4))
                .body("graph_revision", equalTo(5));
        post(edges, "{\"from\":\"" + a + "\",\"to\":\"" + c + "\",\"condition\":\"maybe\"}").statusCode(400)
                .body("kind", equalTo("invalid_condition"));
        post(edges, "{\"from\":\"" + a + "\",\"to\":\"" + UUID.randomUUID() + "\"}").statusCode(404)
                .body("entity", equalTo("execution"));
        String outsider = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\"}").statusCode(201)
                .extract().path("execution_id");
        post(edges, "{\"from\":\"" + a + "\",\"to\":\"" + outsider + "\"}").statusCode(400)
                .body("kind", equalTo("invalid_input"));
        post(edges, "{\"from\":\"" + a + "\"}").statusCode(400).body("kind", equalTo("invalid_input"));
        post(edges, "{\"from\":\"" + a + "\",\"to\":\"" + c + "\",\"expected_graph_revision\":5}").statusCode(201)
                .body("graph_revision", equalTo(6));
        get("/v1/flows/" + flow).statusCode(200).body("graph_revision", equalTo(6));
    }

    @Test
    void memberConflicts() {
        String lane = lane();
        String flow = createFlow("{\"kind\":\"k\"}").getString("flow_id");
        String other = createFlow("{\"kind\":\"k\"}").getString("flow_id");
        String inOther = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\",\"flow_id\":\"" + other
                + "\"}").statusCode(201).extract().path("execution_id");
        post("/v1/flows/" + flow + "/members", "{\"execution_id\":\"" + inOther + "\"}").statusCode(409)
                .body("kind", equalTo("execution_already_in_flow"));
        post("/v1/flows/" + flow + "/members", "{\"execution_id\":\"" + UUID.randomUUID() + "\"}").statusCode(404)
                .body("entity", equalTo("execution"));
        post("/v1/flows/" + flow + "/members", "{}").statusCode(400).body("kind", equalTo("invalid_input"));
        // A solo execution whose lane hashes to another partition than the flow's.
        int flowPartition = get("/v1/flows/" + flow).extract().path("partition_key");
        for (int i = 0; i < 50; i++) {
            var solo = post("/v1/executions", "{\"lane\":\"" + lane() + "\",\"kind\":\"k\"}").statusCode(201).extract();
            if ((int) solo.path("partition_key") != flowPartition) {
                post("/v1/flows/" + flow + "/members", "{\"execution_id\":\"" + solo.path("execution_id") + "\"}")
                        .statusCode(400).body("kind", equalTo("partition_mismatch"));
                break;
            }
        }
        post("/v1/flows/" + flow + "/cancel", "{\"policy\":\"cancel_flow_only\"}").statusCode(200);
        String late = post("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"k\"}").statusCode(201)
                .extract().path("execution_id");
        post("/v1/flows/" + flow + "/members", "{\"execution_id\":\"" + late + "\"}").statusCode(409)
                .body("kind", equalTo("flow_already_terminal"));
        JsonPath g = createFlow("{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "]}");
        post("/v1/flows/" + g.getString("flow_id") + "/cancel", "{\"policy\":\"cancel_flow_only\"}").statusCode(200);
        post("/v1/flows/" + g.getString("flow_id") + "/edges", "{\"from\":\"" + g.getString("nodes.a")
                + "\",\"to\":\"" + g.getString("nodes.b") + "\"}").statusCode(409)
                .body("kind", equalTo("flow_already_terminal"));
        put("/v1/flows/" + g.getString("flow_id") + "/groups/" + g.getString("nodes.b"), "{\"policy\":\"any_of\"}")
                .statusCode(409).body("kind", equalTo("flow_already_terminal"));
    }

    @Test
    void groupConflicts() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"k\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + "],"
                + "\"edges\":[" + edge("a", "b") + "]}");
        String flow = f.getString("flow_id");
        String groups = "/v1/flows/" + flow + "/groups/";
        put(groups + f.getString("nodes.b"), "{\"policy\":\"quorum\",\"k\":2}").statusCode(400)
                .body("kind", equalTo("invalid_policy"));
        put(groups + f.getString("nodes.b"), "{\"policy\":\"quorum\"}").statusCode(400)
                .body("kind", equalTo("invalid_policy"));
        put(groups + f.getString("nodes.b"), "{\"policy\":\"any_of\",\"on_satisfied\":\"whatever\"}").statusCode(400)
                .body("kind", equalTo("invalid_policy"));
        put(groups + UUID.randomUUID(), "{\"policy\":\"any_of\"}").statusCode(404);
        put(groups + f.getString("nodes.b"), "{\"policy\":\"quorum\",\"k\":1}").statusCode(200)
                .body("k", equalTo(1)).body("on_satisfied", equalTo("cancel_remaining"));
        complete(claimAll(lane).get(f.getString("nodes.a"))).statusCode(200);
        var b = claimAll(lane).get(f.getString("nodes.b"));
        put(groups + f.getString("nodes.b"), "{\"policy\":\"all_of\"}").statusCode(409)
                .body("kind", equalTo("not_runnable"));
        complete(b).statusCode(200);
        put(groups + f.getString("nodes.b"), "{\"policy\":\"all_of\"}").statusCode(409)
                .body("kind", equalTo("flow_already_terminal"));
    }

    @Test
    void cancelBodiesAreChecked() {
        String flow = createFlow("{\"kind\":\"k\"}").getString("flow_id");
        post("/v1/flows/" + flow + "/cancel", "{\"policy\":\"cancel_some\"}").statusCode(400)
                .body("kind", equalTo("invalid_policy"));
        post("/v1/flows/" + flow + "/cancel", "{}").statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/flows/" + flow + "/cancel?wait=maybe", "{\"policy\":\"cancel_all\"}").statusCode(400)
                .body("kind", equalTo("invalid_input"));
        String done = createFlow("{\"kind\":\"k\",\"nodes\":[" + node("a", lane()) + "]}").getString("flow_id");
        String lane = get("/v1/flows/" + done + "/members").extract().path("executions[0].lane");
        complete(claim(lane, 1).get(0)).statusCode(200);
        post("/v1/flows/" + done + "/cancel", "{\"policy\":\"cancel_all\"}").statusCode(409)
                .body("kind", equalTo("flow_already_terminal"));
    }
}

package dev.flowfabric.coordinator.flows;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** HTTP and SQL helpers shared by the flow tests. Every test uses its own lane. */
final class Flows {

    private Flows() {
    }

    static String lane() {
        return "flow-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** One claimed execution and its fence. */
    record Lease(String executionId, String leaseId, long leaseEpoch) {
        String fence() {
            return "\"lease_id\":\"" + leaseId + "\",\"lease_epoch\":" + leaseEpoch;
        }
    }

    static ValidatableResponse post(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).post(path).then().log().ifValidationFails();
    }

    static ValidatableResponse put(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).put(path).then().log().ifValidationFails();
    }

    static ValidatableResponse get(String path) {
        return given().get(path).then().log().ifValidationFails();
    }

    /** Creates a flow from a JSON body; returns the 201 answer. */
    static JsonPath createFlow(String body) {
        return post("/v1/flows", body).statusCode(201).extract().jsonPath();
    }

    /** A node of the given lane. */
    static String node(String ref, String lane) {
        return "{\"ref\":\"" + ref + "\",\"lane\":\"" + lane + "\",\"kind\":\"step\"}";
    }

    static String edge(String from, String to) {
        return "{\"from\":\"" + from + "\",\"to\":\"" + to + "\"}";
    }

    static String edge(String from, String to, String condition) {
        return "{\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"condition\":\"" + condition + "\"}";
    }

    /** Claims up to {@code max} executions of the lane (none: empty list). */
    static List<Lease> claim(String lane, int max) {
        var r = given().contentType(ContentType.JSON)
                .body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\",\"max\":" + max + "}")
                .post("/v1/lanes/" + lane + "/claim").then().log().ifValidationFails().extract();
        if (r.statusCode() == 204) {
            return List.of();
        }
        if (r.statusCode() != 200) {
            throw new AssertionError("claim answered " + r.statusCode() + ": " + r.asString());
        }
        List<Map<String, Object>> claims = r.jsonPath().getList("claims");
        List<Lease> out = new ArrayList<>();
        for (Map<String, Object> c : claims) {
            out.add(new Lease((String) c.get("execution_id"), (String) c.get("lease_id"),
                    ((Number) c.get("lease_epoch")).longValue()));
        }
        return out;
    }

    /** Claims everything claimable on the lane, keyed by execution id. */
    static Map<String, Lease> claimAll(String lane) {
        Map<String, Lease> out = new HashMap<>();
        claim(lane, 100).forEach(l -> out.put(l.executionId(), l));
        return out;
    }

    static ValidatableResponse complete(Lease l) {
        return post("/v1/executions/" + l.executionId() + "/complete", "{" + l.fence() + "}");
    }

    static ValidatableResponse fail(Lease l) {
        return post("/v1/executions/" + l.executionId() + "/fail",
                "{" + l.fence() + ",\"error\":{\"message\":\"boom\",\"category\":\"permanent\"}}");
    }

    static String state(String executionId) {
        return get("/v1/executions/" + executionId).statusCode(200).extract().path("public_state");
    }

    static String flowState(String flowId) {
        return get("/v1/flows/" + flowId).statusCode(200).extract().path("public_flow_state");
    }

    static String edgeState(String flowId, String from, String to) {
        List<Map<String, Object>> edges = get("/v1/flows/" + flowId + "/edges").statusCode(200).extract()
                .jsonPath().getList("edges");
        return edges.stream().filter(e -> from.equals(e.get("from")) && to.equals(e.get("to")))
                .map(e -> (String) e.get("state")).findFirst().orElseThrow();
    }

    static long count(Pool pool, String sql, Object... args) {
        Row r = pool.preparedQuery(sql).execute(Tuple.from(java.util.Arrays.asList(args))).await().indefinitely().iterator().next();
        return r.getLong(0);
    }

    static void exec(Pool pool, String sql, Object... args) {
        pool.preparedQuery(sql).execute(Tuple.from(java.util.Arrays.asList(args))).await().indefinitely();
    }

    /** Holds an execution's row as a busy transaction would, until closed. */
    static AutoCloseable hold(Pool pool, String executionId) {
        SqlConnection conn = pool.getConnection().await().indefinitely();
        Transaction tx = conn.begin().await().indefinitely();
        conn.preparedQuery("SELECT 1 FROM ff_exec_core WHERE execution_id = $1 FOR UPDATE")
                .execute(Tuple.of(UUID.fromString(executionId))).await().indefinitely();
        return () -> {
            tx.rollback().await().indefinitely();
            conn.close().await().indefinitely();
        };
    }

    static long events(Pool pool, String type, String flowOrExecutionId) {
        return count(pool, "SELECT count(*) FROM ff_event WHERE type = $1 AND (flow_id = $2 OR execution_id = $2)",
                type, UUID.fromString(flowOrExecutionId));
    }
}

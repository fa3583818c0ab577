package dev.flowfabric.coordinator.admission;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** Small HTTP helpers shared by the admission, registry and event tests. */
final class Api {

    private Api() {
    }

    static String lane() {
        return "adm-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Response post(String path, String json) {
        return given().contentType(ContentType.JSON).body(json).post(path);
    }

    static JsonPath ok(Response r, int status) {
        return r.then().log().ifValidationFails().statusCode(status).extract().jsonPath();
    }

    /** Creates an execution from the given JSON fields (lane and kind are added) and returns its id. */
    static String create(String lane, String extraFields) {
        String body = "{\"lane\":\"" + lane + "\",\"kind\":\"k\"" + (extraFields.isEmpty() ? "" : "," + extraFields) + "}";
        return ok(post("/v1/executions", body), 201).getString("execution_id");
    }

    /** One claim call; the list of claims (empty on 204). */
    static List<Claim> claim(String lane, String namespace, int max) {
        Response r = post("/v1/lanes/" + lane + "/claim", "{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\","
                + "\"namespace\":\"" + namespace + "\",\"max\":" + max + "}");
        if (r.statusCode() == 204) {
            return List.of();
        }
        JsonPath j = ok(r, 200);
        List<Claim> out = new ArrayList<>();
        int n = j.getList("claims").size();
        for (int i = 0; i < n; i++) {
            out.add(new Claim(j.getString("claims[" + i + "].execution_id"), j.getString("claims[" + i + "].lease_id"),
                    j.getLong("claims[" + i + "].lease_epoch")));
        }
        return out;
    }

    static List<Claim> claim(String lane, int max) {
        return claim(lane, "default", max);
    }

    static void complete(Claim c) {
        ok(post("/v1/executions/" + c.executionId() + "/complete", c.fence()), 200);
    }

    static String state(String executionId) {
        return ok(given().get("/v1/executions/" + executionId), 200).getString("public_state");
    }

    record Claim(String executionId, String leaseId, long leaseEpoch) {
        String fence() {
            return "{\"lease_id\":\"" + leaseId + "\",\"lease_epoch\":" + leaseEpoch + "}";
        }

        String fenceWith(String fields) {
            return "{\"lease_id\":\"" + leaseId + "\",\"lease_epoch\":" + leaseEpoch + "," + fields + "}";
        }
    }
}

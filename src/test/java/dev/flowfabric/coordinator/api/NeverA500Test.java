package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import dev.flowfabric.coordinator.support.LeanClient;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whatever a client sends to any route, the answer is a problem, never a 5xx (api.md §0.1: a 500 is a bug). */
@QuarkusTest
class NeverA500Test {

    private static final List<String> BODIES = List.of("", "{}", "[]", "null", "\"text\"", "42", "true", "{",
            "{\"lease_id\":null,\"lease_epoch\":null}", "{\"lease_epoch\":1e400}",
            "{\"lease_epoch\":9223372036854775808}", "{\"lease_epoch\":-9223372036854775808}",
            "{\"lease_id\":\"" + UUID.randomUUID() + "\",\"lease_epoch\":1,\"result\":\"\\u0000\"}",
            "{\"lane\":\"a\",\"kind\":\"nul\\u0000here\"}", "{\"lane\":\"a\",\"kind\":\"k\",\"input\":{\"x\":\"\\u0000\"}}",
            "{\"lane\":\"a\",\"kind\":\"k\",\"tags\":{\"t\":\"\\u0000\"}}", "{\"reason\":\"\\u0000\"}",
            "{\"executions\":[null]}", "{\"executions\":[{}]}", "{\"items\":[null]}", "{\"items\":[{}]}",
            "{\"priority\":null}", "{\"worker_id\":\"w\",\"worker_instance_id\":\"\\u0000\"}",
            "[".repeat(5000) + "]".repeat(5000), "{\"a\":" + "[".repeat(2000) + "]".repeat(2000) + "}");

    @Test
    void noBodyOnAnyRouteCausesA5xx() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Claim.on(lane).ttl(3_600_000).one(); // active, so the fenced routes look for a fence
        List<String[]> routes = List.of(
                new String[] {"POST", "/v1/executions"}, new String[] {"POST", "/v1/executions/batch"},
                new String[] {"POST", "/v1/executions/complete"}, new String[] {"POST", "/v1/lanes/" + lane + "/claim"},
                new String[] {"PUT", "/v1/executions/" + id + "/priority"});
        List<String[]> all = new ArrayList<>(routes);
        for (String verb : List.of("renew", "progress", "complete", "fail", "delay", "cancel", "replay", "revoke-lease")) {
            all.add(new String[] {"POST", "/v1/executions/" + id + "/" + verb});
        }
        LeanClient client = new LeanClient();
        List<String> failures = new ArrayList<>();
        for (String[] route : all) {
            for (String body : BODIES) {
                HttpResponse<byte[]> r = client.send(route[0], route[1], body.getBytes(StandardCharsets.UTF_8));
                boolean problem = r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json");
                if (r.statusCode() >= 500 || (r.statusCode() >= 400 && !problem)) {
                    failures.add(route[0] + " " + route[1] + " <- " + Api.abbreviate(body) + " : " + r.statusCode()
                            + " " + Api.abbreviate(new String(r.body(), StandardCharsets.UTF_8)));
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void oddQueriesAndPathsAreNot5xx() {
        List<String> failures = new ArrayList<>();
        for (String path : List.of("/v1/executions?limit=-1", "/v1/executions?limit=99999999999999",
                "/v1/executions?cursor=%00", "/v1/executions?public_state=", "/v1/executions?lane=%00",
                "/v1/executions?kind=%00", "/v1/executions?namespace=%00", "/v1/executions/%00",
                "/v1/executions/" + UUID.randomUUID() + "/attempts?x=1")) {
            Response r = given().urlEncodingEnabled(false).get(path);
            if (r.statusCode() >= 500) {
                failures.add(path + " : " + r.statusCode() + " " + Api.abbreviate(r.asString()));
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}

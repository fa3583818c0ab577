package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bearer auth (api.md §0.2) with {@code flowfabric.api-token} set. The one test class with its own
 * profile: the token is boot-time configuration.
 */
@QuarkusTest
@TestProfile(AuthTest.TokenSet.class)
class AuthTest {

    static final String TOKEN = "s3cret-" + "token-for-tests";

    public static class TokenSet implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("flowfabric.api-token", TOKEN);
        }
    }

    private static Response create(String authorization) {
        var spec = given().contentType(ContentType.JSON).body(NewExecution.on(Api.freshLane()).body());
        if (authorization != null) {
            spec.header("Authorization", authorization);
        }
        return spec.post("/v1/executions");
    }

    @Test
    void missingTokenIs401() {
        Response r = create(null);
        assertProblem(r, 401, "unauthorized");
        assertEquals("Bearer", r.header("WWW-Authenticate"));
        assertProblem(given().get("/v1/executions/" + UUID.randomUUID()), 401, "unauthorized");
        assertProblem(given().get("/v1/executions"), 401, "unauthorized");
        assertProblem(given().contentType(ContentType.JSON).body("{}").post("/v1/lanes/l/claim"), 401,
                "unauthorized");
    }

    @Test
    void wrongTokenIs401() {
        assertProblem(create("Bearer wrong"), 401, "unauthorized");
        assertProblem(create("Bearer " + TOKEN + "x"), 401, "unauthorized");
        assertProblem(create("Bearer " + TOKEN.substring(1)), 401, "unauthorized");
        assertProblem(create("Basic " + TOKEN), 401, "unauthorized");
        assertProblem(create(TOKEN), 401, "unauthorized");
        assertProblem(create("Bearer "), 401, "unauthorized");
    }

    @Test
    void rightTokenIsServed() {
        assertEquals(201, create("Bearer " + TOKEN).statusCode());
        assertEquals(200, given().header("Authorization", "Bearer " + TOKEN).get("/v1/executions?limit=1")
                .statusCode());
    }

    @Test
    void authIsCheckedBeforeTheBody() {
        assertProblem(given().contentType(ContentType.JSON).body("{not json").post("/v1/executions"), 401,
                "unauthorized");
    }

    @Test
    void healthStaysOpen() {
        assertEquals(200, given().get("/q/health/ready").statusCode());
        assertEquals(200, given().get("/q/health/live").statusCode());
        assertEquals(200, given().get("/q/health/started").statusCode());
    }
}

package dev.flowfabric.coordinator.api;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SmallRye Health (api.md §8): liveness, readiness with the database check, startup. */
@QuarkusTest
class HealthTest {

    private static JsonPath health(String path) {
        var r = given().get(path);
        assertEquals(200, r.statusCode(), r.asString());
        JsonPath body = r.jsonPath();
        assertEquals("UP", body.getString("status"));
        return body;
    }

    @Test
    void liveIsUp() {
        health("/q/health/live");
    }

    @Test
    void readyIsUpWithTheMigratedDatabase() {
        List<Map<String, Object>> checks = health("/q/health/ready").getList("checks");
        Map<String, Object> database = checks.stream().filter(c -> "database".equals(c.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no database check in " + checks));
        assertEquals("UP", database.get("status"));
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) database.get("data");
        assertTrue(Integer.parseInt(String.valueOf(data.get("schema_version"))) >= 1, data.toString());
    }

    @Test
    void startedIsUpWithTheDatabaseCheck() {
        List<String> names = health("/q/health/started").getList("checks.name");
        assertTrue(names.contains("database"), names.toString());
    }

    @Test
    void overallHealthIsUp() {
        health("/q/health");
    }
}

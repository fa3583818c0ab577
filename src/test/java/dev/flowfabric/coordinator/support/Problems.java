package dev.flowfabric.coordinator.support;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions on RFC 9457 problem responses (api.md §0.1). */
public final class Problems {

    private Problems() {
    }

    /** Asserts a complete problem+json body with this status and kind; returns it for more checks. */
    public static JsonPath assertProblem(Response r, int status, String kind) {
        String body = Api.abbreviate(r.asString());
        assertEquals(status, r.statusCode(), () -> "status; body: " + body);
        String contentType = r.contentType();
        assertNotNull(contentType, "Content-Type");
        assertTrue(contentType.startsWith("application/problem+json"), () -> "Content-Type " + contentType + "; body: " + body);
        JsonPath p = r.jsonPath();
        assertEquals(kind, p.getString("kind"), () -> "kind; body: " + body);
        assertEquals("https://flowfabric.dev/problems/" + kind, p.getString("type"), "type");
        assertEquals(status, p.getInt("status"), "status member");
        assertFalse(p.getString("title") == null || p.getString("title").isBlank(), "title");
        assertFalse(p.getString("detail") == null || p.getString("detail").isBlank(), "detail");
        assertNotNull(p.get("retryable"), "retryable");
        return p;
    }
}

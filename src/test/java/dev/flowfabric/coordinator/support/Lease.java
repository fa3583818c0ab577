package dev.flowfabric.coordinator.support;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** One claim as a worker holds it, with the fenced calls it can make (api.md §2.4). */
public record Lease(UUID executionId, UUID leaseId, long epoch, int attemptIndex, String attemptType,
                    long expiresAtMs, long ttlMs) {

    static Lease of(JsonPath claim) {
        return new Lease(UUID.fromString(claim.getString("execution_id")), UUID.fromString(claim.getString("lease_id")),
                claim.getLong("lease_epoch"), claim.getInt("attempt_index"), claim.getString("attempt_type"),
                claim.getLong("lease_expires_at_ms"), claim.getLong("lease_ttl_ms"));
    }

    /** The same execution presented with another fence. */
    public Lease withFence(UUID otherLeaseId, long otherEpoch) {
        return new Lease(executionId, otherLeaseId, otherEpoch, attemptIndex, attemptType, expiresAtMs, ttlMs);
    }

    public Map<String, Object> fence() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("lease_id", leaseId.toString());
        f.put("lease_epoch", epoch);
        return f;
    }

    private Map<String, Object> fenceAnd(Object... fieldsAndValues) {
        Map<String, Object> body = fence();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            body.put((String) fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        return body;
    }

    private Response call(String verb, Map<String, Object> body) {
        return Api.post("/v1/executions/" + executionId + "/" + verb, body);
    }

    public Response renew() {
        return call("renew", fence());
    }

    public Response renew(long ttlMs) {
        return call("renew", fenceAnd("lease_ttl_ms", ttlMs));
    }

    public Response progress(int percent, String message) {
        return call("progress", fenceAnd("percent", percent, "message", message));
    }

    public Response complete(Object result) {
        return call("complete", fenceAnd("result", result));
    }

    public Response fail(String category) {
        return call("fail", fenceAnd("error", Map.of("message", "boom", "category", category)));
    }

    public Response fail(String category, boolean retryable) {
        return call("fail", fenceAnd("error", Map.of("message", "boom", "category", category), "retryable", retryable));
    }

    public Response delay(long untilMs) {
        return call("delay", fenceAnd("delay_until_ms", untilMs));
    }

    public Response cancel(String reason) {
        return call("cancel", fenceAnd("reason", reason));
    }

    /** One item of a batch complete. */
    public Map<String, Object> completionItem(Object result) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("execution_id", executionId.toString());
        item.putAll(fence());
        item.put("result", result);
        return item;
    }
}

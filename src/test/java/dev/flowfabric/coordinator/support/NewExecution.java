package dev.flowfabric.coordinator.support;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds a {@code POST /v1/executions} body; {@link #create()} sends it and expects 201. */
public final class NewExecution {

    private final Map<String, Object> body = new LinkedHashMap<>();

    private NewExecution(String lane) {
        body.put("lane", lane);
        body.put("kind", "test.job");
    }

    public static NewExecution on(String lane) {
        return new NewExecution(lane);
    }

    public NewExecution with(String field, Object value) {
        body.put(field, value);
        return this;
    }

    public NewExecution id(UUID id) {
        return with("execution_id", id.toString());
    }

    public NewExecution kind(String kind) {
        return with("kind", kind);
    }

    public NewExecution namespace(String namespace) {
        return with("namespace", namespace);
    }

    public NewExecution priority(int priority) {
        return with("priority", priority);
    }

    public NewExecution requires(String... capabilities) {
        return with("required_capabilities", List.of(capabilities));
    }

    public NewExecution input(Object input) {
        return with("input", input);
    }

    public NewExecution idempotencyKey(String key) {
        return with("idempotency_key", key);
    }

    public NewExecution delayUntil(long ms) {
        return with("delay_until_ms", ms);
    }

    public NewExecution deadline(long ms) {
        return with("deadline_at_ms", ms);
    }

    public NewExecution attemptTimeout(long ms) {
        return with("attempt_timeout_ms", ms);
    }

    /** {@code retry_policy} with the given backoff, no jitter. */
    public NewExecution retries(int maxRetries, String backoffType, long initialMs, long maxMs, double multiplier) {
        Map<String, Object> backoff = new LinkedHashMap<>();
        backoff.put("type", backoffType);
        backoff.put("initial_ms", initialMs);
        backoff.put("max_ms", maxMs);
        backoff.put("multiplier", multiplier);
        backoff.put("jitter", false);
        return with("retry_policy", Map.of("max_retries", maxRetries, "backoff", backoff));
    }

    public Map<String, Object> body() {
        return new LinkedHashMap<>(body);
    }

    public Response post() {
        return Api.post("/v1/executions", body);
    }

    /** Creates it (201) and returns its id. */
    public UUID create() {
        return UUID.fromString(createView().getString("execution_id"));
    }

    public JsonPath createView() {
        return Api.expect(post(), 201);
    }

    /** Creates {@code n} copies in one batch call, returning their ids in request order. */
    public List<UUID> createMany(int n) {
        List<Map<String, Object>> items = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.add(body);
        }
        JsonPath created = Api.expect(Api.post("/v1/executions/batch", Map.of("executions", items)), 200);
        return created.<String>getList("executions.execution_id").stream().map(UUID::fromString).toList();
    }
}

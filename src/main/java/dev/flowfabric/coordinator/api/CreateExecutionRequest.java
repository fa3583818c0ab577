package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.service.CreateExecution;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Body of {@code POST /v1/executions} and one item of a batch (api.md §1.1). */
public record CreateExecutionRequest(
        UUID executionId, String namespace, String lane, String kind, JsonNode input, Integer priority,
        List<String> requiredCapabilities, Map<String, String> tags, String idempotencyKey, Long delayUntilMs,
        Long deadlineAtMs, RetryPolicyBody retryPolicy, Long attemptTimeoutMs, UUID flowId, List<UUID> budgetIds,
        UUID quotaPolicyId) {

    public record RetryPolicyBody(Integer maxRetries, BackoffBody backoff) { }

    public record BackoffBody(String type, Long initialMs, Long maxMs, Double multiplier, Boolean jitter) { }

    static final long MAX_MS = 4_102_444_800_000L; // 2100-01-01: any later time is a unit mistake

    CreateExecution validate(ObjectMapper json) {
        String ns = namespace == null ? "default" : Check.text(namespace, "namespace", 1, 128);
        Check.lane(lane, "lane");
        Check.text(kind, "kind", 1, 128);
        int prio = priority == null ? 0 : Check.range(priority, "priority", 0, 9000);
        List<String> caps = Check.capabilities(requiredCapabilities, "required_capabilities");
        if (tags != null) {
            if (tags.size() > 64) {
                throw Problem.invalid("field 'tags' has more than 64 entries");
            }
            tags.forEach((k, v) -> {
                Check.text(k, "tags key", 1, 128);
                Check.text(v, "tags." + k, 0, 1024);
            });
        }
        String key = Check.optionalText(idempotencyKey, "idempotency_key", 1, 256);
        if (delayUntilMs != null) {
            Check.range(delayUntilMs, "delay_until_ms", 0, MAX_MS);
        }
        if (deadlineAtMs != null) {
            Check.range(deadlineAtMs, "deadline_at_ms", 0, MAX_MS);
        }
        if (attemptTimeoutMs != null) {
            Check.range(attemptTimeoutMs, "attempt_timeout_ms", 1, 7L * 24 * 3600 * 1000);
        }
        if (budgetIds != null && budgetIds.size() > 16) {
            throw Problem.invalid("field 'budget_ids' has more than 16 entries");
        }
        if (budgetIds != null && budgetIds.contains(null)) {
            throw Problem.invalid("field 'budget_ids' has a null entry");
        }
        try {
            String inputJson = input == null || input.isNull() ? null : json.writeValueAsString(input);
            String tagsJson = json.writeValueAsString(tags == null ? Map.of() : tags);
            return new CreateExecution(executionId, ns, lane, kind, inputJson, prio, caps, tagsJson, key,
                    delayUntilMs, deadlineAtMs, retryPolicyJson(json), attemptTimeoutMs, flowId,
                    budgetIds == null ? List.of() : List.copyOf(budgetIds), quotaPolicyId);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw Problem.invalid("the body could not be re-encoded");
        }
    }

    /** The policy with every default filled in, so the stored document says exactly what applies. */
    private String retryPolicyJson(ObjectMapper json) throws com.fasterxml.jackson.core.JsonProcessingException {
        if (retryPolicy == null) {
            return null;
        }
        int max = retryPolicy.maxRetries() == null ? 0 : policyRange(retryPolicy.maxRetries(), "max_retries", 0, 1000);
        BackoffBody b = retryPolicy.backoff();
        String type = b == null || b.type() == null ? "exponential" : b.type();
        if (!type.equals("fixed") && !type.equals("exponential")) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, "backoff type must be 'fixed' or 'exponential'");
        }
        long initial = b == null || b.initialMs() == null ? 1000 : policyRange(b.initialMs(), "initial_ms", 0, 86_400_000L);
        long maxMs = b == null || b.maxMs() == null ? Math.max(60_000, initial)
                : policyRange(b.maxMs(), "max_ms", 0, 86_400_000L);
        if (maxMs < initial) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, "backoff max_ms must be at least initial_ms");
        }
        double multiplier = b == null || b.multiplier() == null ? 2.0 : b.multiplier();
        if (!(multiplier >= 1.0 && multiplier <= 100.0)) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, "backoff multiplier must be in 1.0..100.0");
        }
        boolean jitter = b != null && b.jitter() != null && b.jitter();
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("max_retries", max);
        ObjectNode bo = p.putObject("backoff");
        bo.put("type", type);
        bo.put("initial_ms", initial);
        bo.put("max_ms", maxMs);
        bo.put("multiplier", multiplier);
        bo.put("jitter", jitter);
        return json.writeValueAsString(p);
    }

    private static long policyRange(long v, String field, long min, long max) {
        if (v < min || v > max) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, "retry_policy " + field + " must be in " + min + ".." + max);
        }
        return v;
    }

    private static int policyRange(int v, String field, int min, int max) {
        return (int) policyRange((long) v, field, min, max);
    }
}

package dev.flowfabric.coordinator.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.domain.RetryPolicy;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Reads the stored {@code retry_policy} document (written by the API after validation, so its
 * fields are complete). A row without one never retries.
 */
@ApplicationScoped
public class RetryPolicies {

    private final ObjectMapper json;

    RetryPolicies(ObjectMapper json) {
        this.json = json;
    }

    public RetryPolicy parse(String document) {
        if (document == null) {
            return RetryPolicy.NONE;
        }
        try {
            JsonNode p = json.readTree(document);
            JsonNode b = p.path("backoff");
            RetryPolicy.Backoff d = RetryPolicy.Backoff.DEFAULT;
            return new RetryPolicy(p.path("max_retries").asInt(0), new RetryPolicy.Backoff(
                    "fixed".equals(b.path("type").asText()) ? RetryPolicy.BackoffType.FIXED
                            : RetryPolicy.BackoffType.EXPONENTIAL,
                    b.path("initial_ms").asLong(d.initialMs()), b.path("max_ms").asLong(d.maxMs()),
                    b.path("multiplier").asDouble(d.multiplier()), b.path("jitter").asBoolean(d.jitter())));
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable retry_policy " + document, e);
        }
    }
}

package dev.flowfabric.coordinator.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.ResumeCondition;
import dev.flowfabric.coordinator.domain.ResumeCondition.AllOf;
import dev.flowfabric.coordinator.domain.ResumeCondition.AnyOf;
import dev.flowfabric.coordinator.domain.ResumeCondition.Count;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The wire form of resume conditions (api.md §4): {@code {"all_of":[key...]}},
 * {@code {"any_of":[key...]}} or {@code {"count":n,"of":[key...],"distinct":"sources"?}}.
 * A condition that cannot be met as written is a 400 {@code invalid_condition}.
 */
public final class ResumeConditions {

    private static final int MAX_COUNT = 10_000;

    private ResumeConditions() {
    }

    /**
     * Reads a condition over the suspension's waitpoint keys; none given means all of them.
     */
    public static ResumeCondition parse(JsonNode node, Collection<String> waitpointKeys) {
        if (node == null || node.isNull()) {
            return new AllOf(List.copyOf(waitpointKeys));
        }
        if (!node.isObject() || node.size() == 0) {
            throw invalid("the condition must be an object with 'all_of', 'any_of' or 'count'");
        }
        Set<String> fields = new LinkedHashSet<>();
        node.fieldNames().forEachRemaining(fields::add);
        if (fields.equals(Set.of("all_of"))) {
            return new AllOf(keys(node.get("all_of"), "all_of", waitpointKeys));
        }
        if (fields.equals(Set.of("any_of"))) {
            return new AnyOf(keys(node.get("any_of"), "any_of", waitpointKeys));
        }
        if (fields.contains("count") && fields.contains("of") && Set.of("count", "of", "distinct").containsAll(fields)) {
            List<String> of = keys(node.get("of"), "of", waitpointKeys);
            JsonNode n = node.get("count");
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 1) {
                throw invalid("'count' must be a positive integer");
            }
            boolean sources = distinctSources(node.get("distinct"));
            if (!sources && n.intValue() > of.size()) {
                throw invalid("'count' " + n.intValue() + " exceeds the " + of.size() + " keys in 'of'");
            }
            if (n.intValue() > MAX_COUNT) {
                throw invalid("'count' must be at most " + MAX_COUNT);
            }
            return new Count(n.intValue(), of, sources);
        }
        throw invalid("the condition must have exactly one of 'all_of', 'any_of', or 'count' with 'of' (and "
                + "optionally 'distinct'); it has " + fields);
    }

    public static String toJson(ResumeCondition condition, ObjectMapper json) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (condition instanceof AllOf a) {
            array(out.putArray("all_of"), a.keys());
        } else if (condition instanceof AnyOf a) {
            array(out.putArray("any_of"), a.keys());
        } else if (condition instanceof Count c) {
            out.put("count", c.n());
            array(out.putArray("of"), c.of());
            if (c.distinctSources()) {
                out.put("distinct", "sources");
            }
        }
        try {
            return json.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a stored condition back (it was validated when stored). */
    public static ResumeCondition fromJson(String stored, ObjectMapper json) {
        try {
            JsonNode node = json.readTree(stored);
            List<String> keys = new ArrayList<>();
            JsonNode list = node.has("all_of") ? node.get("all_of") : node.has("any_of") ? node.get("any_of") : node.get("of");
            list.forEach(k -> keys.add(k.textValue()));
            return parse(node, keys);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored condition is not JSON", e);
        }
    }

    private static boolean distinctSources(JsonNode distinct) {
        if (distinct == null) {
            return false;
        }
        if (distinct.isTextual() && distinct.textValue().equals("sources")) {
            return true;
        }
        if (distinct.isTextual() && distinct.textValue().equals("waitpoints")) {
            return false;
        }
        throw invalid("'distinct' must be \"sources\" or \"waitpoints\"");
    }

    private static List<String> keys(JsonNode node, String field, Collection<String> waitpointKeys) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw invalid("'" + field + "' must be a non-empty array of waitpoint keys");
        }
        Set<String> keys = new LinkedHashSet<>();
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            JsonNode k = it.next();
            if (!k.isTextual()) {
                throw invalid("'" + field + "' must hold waitpoint keys (strings)");
            }
            if (!waitpointKeys.contains(k.textValue())) {
                throw invalid("'" + field + "' names '" + k.textValue() + "', which is not a waitpoint of this suspend");
            }
            if (!keys.add(k.textValue())) {
                throw invalid("'" + field + "' names '" + k.textValue() + "' twice");
            }
        }
        return List.copyOf(keys);
    }

    private static void array(ArrayNode array, List<String> keys) {
        keys.forEach(array::add);
    }

    private static Problem invalid(String detail) {
        return Problem.badRequest(ProblemKind.INVALID_CONDITION, detail);
    }
}

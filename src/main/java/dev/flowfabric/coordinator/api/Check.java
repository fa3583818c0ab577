package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** Request validation shared by the resources: each failure is a 400 naming the field. */
final class Check {

    static final Pattern LANE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$");
    private static final Pattern CAPABILITY = Pattern.compile("^[^\\s,]{1,64}$");

    private Check() {
    }

    static <T> T present(T value, String field) {
        if (value == null) {
            throw Problem.invalid("field '" + field + "' is required");
        }
        return value;
    }

    static String text(String value, String field, int min, int max) {
        present(value, field);
        int n = value.codePointCount(0, value.length());
        if (n < min || n > max) {
            throw Problem.invalid("field '" + field + "' must have " + min + ".." + max + " characters");
        }
        return value;
    }

    static String optionalText(String value, String field, int min, int max) {
        return value == null ? null : text(value, field, min, max);
    }

    /** The optional free-text reason operators and workers give for cancels, replays and revokes. */
    static String reason(String value) {
        return optionalText(value, "reason", 0, 1024);
    }

    static long range(Long value, String field, long min, long max) {
        present(value, field);
        if (value < min || value > max) {
            throw Problem.invalid("field '" + field + "' must be in " + min + ".." + max);
        }
        return value;
    }

    static int range(Integer value, String field, int min, int max) {
        present(value, field);
        if (value < min || value > max) {
            throw Problem.invalid("field '" + field + "' must be in " + min + ".." + max);
        }
        return value;
    }

    static String lane(String lane, String field) {
        present(lane, field);
        if (!LANE.matcher(lane).matches()) {
            throw Problem.invalid("field '" + field + "' must match " + LANE.pattern());
        }
        return lane;
    }

    /** Capabilities: 1..64 chars without whitespace or commas, at most 64, duplicates folded. */
    static List<String> capabilities(List<String> caps, String field) {
        if (caps == null) {
            return List.of();
        }
        if (caps.size() > 64) {
            throw Problem.badRequest(ProblemKind.INVALID_CAPABILITIES, "field '" + field + "' has more than 64 entries");
        }
        Set<String> seen = new HashSet<>();
        List<String> out = new ArrayList<>(caps.size());
        for (String c : caps) {
            if (c == null || !CAPABILITY.matcher(c).matches()) {
                throw Problem.badRequest(ProblemKind.INVALID_CAPABILITIES,
                        "each entry of '" + field + "' must be 1..64 characters without whitespace or commas");
            }
            if (seen.add(c)) {
                out.add(c);
            }
        }
        return List.copyOf(out);
    }

    static UUID uuid(String raw, String what) {
        try {
            UUID id = UUID.fromString(raw);
            if (!id.toString().equalsIgnoreCase(raw)) {
                throw new IllegalArgumentException(raw);
            }
            return id;
        } catch (IllegalArgumentException | NullPointerException e) {
            throw Problem.invalid(what + " '" + raw + "' is not a UUID");
        }
    }

    static <T> T body(T body) {
        if (body == null) {
            throw Problem.invalid("a JSON object body is required");
        }
        return body;
    }
}

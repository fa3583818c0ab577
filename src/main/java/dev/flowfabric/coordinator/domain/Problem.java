package dev.flowfabric.coordinator.domain;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one exception type a use case raises for a client-visible failure; the API turns it into
 * problem+json in one mapper. Subtypes group the families so callers can match on them.
 */
public abstract sealed class Problem extends RuntimeException
        permits Problem.BadRequest, Problem.NotFound, Problem.Conflict, Problem.Refused {

    private final ProblemKind kind;
    private final Map<String, Object> extras;

    private Problem(ProblemKind kind, String detail, Map<String, Object> extras) {
        super(detail, null, false, false);
        this.kind = kind;
        this.extras = extras == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }

    public ProblemKind kind() {
        return kind;
    }

    public String detail() {
        return getMessage();
    }

    /** Extra members of the problem body (e.g. {@code entity}, {@code public_state}). */
    public Map<String, Object> extras() {
        return extras;
    }

    public static BadRequest invalid(String detail) {
        return new BadRequest(ProblemKind.INVALID_INPUT, detail, null);
    }

    public static BadRequest badRequest(ProblemKind kind, String detail) {
        return new BadRequest(kind, detail, null);
    }

    public static NotFound notFound(String entity, Object id) {
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("entity", entity);
        return new NotFound(entity + " " + id + " does not exist", extras);
    }

    public static Conflict conflict(ProblemKind kind, String detail) {
        return new Conflict(kind, detail, null);
    }

    public static Conflict conflict(ProblemKind kind, String detail, Map<String, Object> extras) {
        return new Conflict(kind, detail, extras);
    }

    public static Refused refused(ProblemKind kind, String detail, Map<String, Object> extras) {
        return new Refused(kind, detail, extras);
    }

    public static final class BadRequest extends Problem {
        BadRequest(ProblemKind kind, String detail, Map<String, Object> extras) {
            super(kind, detail, extras);
        }
    }

    public static final class NotFound extends Problem {
        NotFound(String detail, Map<String, Object> extras) {
            super(ProblemKind.NOT_FOUND, detail, extras);
        }
    }

    public static final class Conflict extends Problem {
        Conflict(ProblemKind kind, String detail, Map<String, Object> extras) {
            super(kind, detail, extras);
        }
    }

    /** 401, 403, 413, 415, 429, 503: the request was refused as a whole. */
    public static final class Refused extends Problem {
        Refused(ProblemKind kind, String detail, Map<String, Object> extras) {
            super(kind, detail, extras);
        }
    }
}

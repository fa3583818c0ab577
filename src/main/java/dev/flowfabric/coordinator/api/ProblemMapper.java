package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import io.vertx.pgclient.PgException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.net.ConnectException;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Every error leaves as RFC 9457 problem+json from here. Client mistakes map to 4xx kinds; a
 * database that cannot be reached is a retryable 503; anything else is a bug, logged, and a 500.
 */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);
    public static final String PROBLEM_JSON = "application/problem+json";

    @ServerExceptionMapper
    public Response problem(Problem p) {
        return build(p.kind(), p.detail(), p.extras());
    }

    // Quarkus REST ships mappers for some Jackson exceptions; naming each type here makes ours win.
    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response malformed(JsonParseException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        // A second value after the body (FAIL_ON_TRAILING_TOKENS) is a syntax error too, though Jackson
        // reports it as a mismatch.
        boolean trailing = e instanceof MismatchedInputException && e.getOriginalMessage() != null
                && e.getOriginalMessage().startsWith("Trailing token");
        if (e instanceof JsonParseException || e instanceof JsonEOFException || trailing) {
            return build(ProblemKind.INVALID_JSON, "the body is not valid JSON: " + e.getOriginalMessage(), Map.of());
        }
        if (e.getCause() instanceof JsonParseException p) {
            // A body the reader gave up on mid-value (e.g. truncated) arrives wrapped in a mapping error.
            return build(ProblemKind.INVALID_JSON, "the body is not valid JSON: " + p.getOriginalMessage(), Map.of());
        }
        if (e instanceof UnrecognizedPropertyException u) {
            return build(ProblemKind.INVALID_INPUT, "unknown field '" + path(u) + "'", Map.of("field", path(u)));
        }
        if (e instanceof JsonMappingException m) {
            String field = path(m);
            return build(ProblemKind.INVALID_INPUT,
                    (field.isEmpty() ? "the body" : "field '" + field + "'") + " has the wrong type or shape",
                    field.isEmpty() ? Map.of() : Map.of("field", field));
        }
        return build(ProblemKind.INVALID_JSON, "the body is not valid JSON", Map.of());
    }

    @ServerExceptionMapper
    public Response unsupported(NotSupportedException e) {
        return build(ProblemKind.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json", Map.of());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException j) {
            return json(j); // the JSON reader wraps syntax errors in a bare 400
        }
        int status = e.getResponse().getStatus();
        if (e instanceof NotAllowedException) {
            return raw(405, "method_not_allowed", "Method not allowed", "this route does not accept that method");
        }
        if (status == 404) {
            return build(ProblemKind.NOT_FOUND, "no such route", Map.of("entity", "route"));
        }
        if (status == 415) {
            return unsupported(null);
        }
        if (status == 413) {
            return build(ProblemKind.PAYLOAD_TOO_LARGE, "the body is too large", Map.of());
        }
        if (status >= 400 && status < 500) {
            return build(ProblemKind.INVALID_INPUT, e.getMessage(), Map.of());
        }
        return unexpected(e);
    }

    @ServerExceptionMapper
    public Response database(PgException e) {
        Response r = byState(e.getSqlState(), e.getErrorMessage());
        return r != null ? r : unexpected(e);
    }

    /**
     * Constraint violations and bad values that reach the database are client data the validation
     * missed: say so. A database going away is a retryable 503. Null for anything else.
     */
    private static Response byState(String state, String message) {
        if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
            LOG.warnf("database rejected input: %s (%s)", message, state);
            return build(ProblemKind.INVALID_INPUT, "the database rejected a value: " + message, Map.of());
        }
        if ("57P01".equals(state) || "57P03".equals(state) || (state != null && state.startsWith("08"))) {
            return build(ProblemKind.UNAVAILABLE, "the database is unavailable", Map.of());
        }
        // A deadlock or serialization victim that stayed one after the service's own retries:
        // nothing was written, and the same request may simply be sent again.
        if ("40P01".equals(state) || "40001".equals(state)) {
            return build(ProblemKind.UNAVAILABLE, "the change collided with a concurrent one; retry", Map.of());
        }
        return null;
    }

    @ServerExceptionMapper
    public Response connect(ConnectException e) {
        return build(ProblemKind.UNAVAILABLE, "the database is unreachable", Map.of());
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        if (e instanceof Problem p) {
            return problem(p);
        }
        if (e.getCause() instanceof Problem p) {
            return problem(p);
        }
        // Reads through Hibernate arrive wrapped, with the driver's error as a SQLException.
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            Response r = c instanceof PgException pg ? byState(pg.getSqlState(), pg.getErrorMessage())
                    : c instanceof SQLException sql ? byState(sql.getSQLState(), sql.getMessage()) : null;
            if (r != null) {
                return r;
            }
        }
        if (e.getCause() instanceof ConnectException) {
            return build(ProblemKind.UNAVAILABLE, "the database is unreachable", Map.of());
        }
        LOG.error("unexpected error", e);
        return raw(500, "internal", "Internal error", "an unexpected error occurred; it has been logged");
    }

    static Response build(ProblemKind kind, String detail, Map<String, Object> extras) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "https://flowfabric.dev/problems/" + kind.wire());
        body.put("title", kind.title());
        body.put("status", kind.status());
        body.put("detail", detail);
        body.put("kind", kind.wire());
        body.put("retryable", kind.retryable());
        body.putAll(extras);
        Response.ResponseBuilder r = Response.status(kind.status()).type(PROBLEM_JSON).entity(body);
        if (kind.retryable()) {
            r.header("Retry-After", "1");
        }
        return r.build();
    }

    private static Response raw(int status, String kind, String title, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "https://flowfabric.dev/problems/" + kind);
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        body.put("kind", kind);
        body.put("retryable", false);
        return Response.status(status).type(PROBLEM_JSON).entity(body).build();
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }
}

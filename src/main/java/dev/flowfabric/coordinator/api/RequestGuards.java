package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.ProblemKind;
import io.quarkus.runtime.StartupEvent;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;

/**
 * Checks every /v1 request before routing: bearer token (constant time), JSON content type for
 * bodies, and the route's body cap (api.md §0.1: 1 MiB creates, batches, batch complete and
 * signals; 256 KiB frames; 64 KiB the rest). Health, metrics and OpenAPI under /q stay open.
 */
public class RequestGuards {

    private static final Logger LOG = Logger.getLogger(RequestGuards.class);
    static final long MIB = 1024 * 1024;
    private static final String CAP_KEY = "flowfabric.body-cap";
    private static final long DISCARD_LIMIT = 16 * 1024 * 1024;

    private final AccessToken token;

    // Filters are built at static init, before runtime config exists: the token bean is a lazy proxy.
    RequestGuards(AccessToken token) {
        this.token = token;
    }

    /** The configured API token's digest, read at runtime. */
    @ApplicationScoped
    public static class AccessToken {
        final byte[] digest;

        AccessToken(FlowfabricConfig config) {
            this.digest = config.apiToken().filter(t -> !t.isBlank()).map(RequestGuards::sha256).orElse(null);
        }

        boolean required() {
            return digest != null;
        }

        boolean matches(String presented) {
            // Digests have a fixed length, so the comparison time says nothing about the token.
            return MessageDigest.isEqual(digest, sha256(presented));
        }
    }

    static void onStart(@Observes StartupEvent event, Router router, AccessToken token) {
        if (!token.required()) {
            LOG.warn("FF_API_TOKEN is not set: the /v1 API is open to anyone who can reach it");
        }
        // Ahead of Quarkus' own size check (route order -2), which answers a bare 413.
        router.route("/v1/*").order(Integer.MIN_VALUE).handler(RequestGuards::capBody).failureHandler(ctx -> {
            if (ctx.statusCode() == 413 && !ctx.response().headWritten()) {
                tooLarge(ctx, "the body is larger than this route accepts");
            } else if (!ctx.response().ended()) {
                ctx.next();
            } // else: answered already, and the client hung up on the rest of its body
        });
    }

    /**
     * Refuses a body over the route's cap before anything reads it: at once when its declared length
     * says so; a chunked body is read here, and the body handler fails with 413 once it passes the cap.
     */
    private static void capBody(RoutingContext ctx) {
        long cap = capFor(ctx.request().method().name(), ctx.normalizedPath());
        ctx.put(CAP_KEY, cap);
        long declared = parse(ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH));
        if (declared > cap) {
            tooLarge(ctx, "the body has " + declared + " bytes; this route accepts at most " + cap);
        } else if (declared < 0 && ctx.request().getHeader("Transfer-Encoding") != null) {
            BodyHandler.create(false).setBodyLimit(cap).handle(ctx);
        } else {
            ctx.next();
        }
    }

    /**
     * Answers 413 and ends the connection. A client still sending its body would see a broken pipe
     * instead of the answer if the connection closed at once, so a body of moderate size is read to
     * its end and thrown away first; past {@link #DISCARD_LIMIT} the connection closes right away.
     */
    private static void tooLarge(RoutingContext ctx, String detail) {
        long cap = ctx.get(CAP_KEY, MIB);
        var request = ctx.request();
        long declared = parse(request.getHeader(HttpHeaders.CONTENT_LENGTH));
        boolean drain = !request.isEnded() && declared >= 0 && declared <= DISCARD_LIMIT;
        ctx.response().setStatusCode(413).putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON)
                .putHeader("Connection", "close")
                .endHandler(v -> {
                    if (!drain || request.isEnded()) {
                        request.connection().close();
                    }
                })
                .end(problemJson(ProblemKind.PAYLOAD_TOO_LARGE, detail, cap));
        if (drain) {
            request.handler(ignored -> { }).endHandler(v -> request.connection().close()).resume();
        }
    }

    @ServerRequestFilter(preMatching = true)
    public Response guard(ContainerRequestContext ctx) {
        String path = ctx.getUriInfo().getPath();
        if (!path.startsWith("/v1")) {
            return null;
        }
        if (token.required() && !authorized(ctx.getHeaderString(HttpHeaders.AUTHORIZATION))) {
            return Response.fromResponse(ProblemMapper.build(ProblemKind.UNAUTHORIZED,
                    "a valid 'Authorization: Bearer <token>' header is required", Map.of()))
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build();
        }
        String type = ctx.getHeaderString(HttpHeaders.CONTENT_TYPE);
        boolean chunked = ctx.getHeaderString("Transfer-Encoding") != null;
        if (parse(ctx.getHeaderString(HttpHeaders.CONTENT_LENGTH)) > 0 || chunked) {
            if (!isJson(type)) {
                return ProblemMapper.build(ProblemKind.UNSUPPORTED_MEDIA_TYPE,
                        "the body must be application/json", Map.of());
            }
        } else if (!isJson(type)) {
            // An empty body has no media type to be wrong (some clients label it a form): let it reach
            // the JSON resources, where it reads as no body.
            ctx.getHeaders().putSingle(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON);
        }
        return null;
    }

    static long capFor(String method, String path) {
        if ("POST".equals(method)) {
            if (path.equals("/v1/executions") || path.equals("/v1/executions/batch")
                    || path.equals("/v1/executions/complete") || path.equals("/v1/flows")
                    || (path.startsWith("/v1/executions/") && path.endsWith("/signals"))) {
                return MIB;
            }
            if (path.startsWith("/v1/executions/") && path.endsWith("/frames")) {
                return 256 * 1024;
            }
        }
        return 64 * 1024;
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return token.matches(header.substring(7).trim());
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String base = contentType.split(";", 2)[0].trim().toLowerCase();
        return base.equals("application/json") || (base.startsWith("application/") && base.endsWith("+json"));
    }

    private static long parse(String length) {
        if (length == null) {
            return -1;
        }
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String problemJson(ProblemKind kind, String detail, long limit) {
        return "{\"type\":\"https://flowfabric.dev/problems/" + kind.wire() + "\",\"title\":\"" + kind.title()
                + "\",\"status\":" + kind.status() + ",\"detail\":\"" + detail + "\",\"kind\":\"" + kind.wire()
                + "\",\"retryable\":false,\"limit_bytes\":" + limit + "}";
    }
}

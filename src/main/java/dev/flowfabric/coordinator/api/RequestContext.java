package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.service.WorkSignals;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Per-request plumbing ahead of routing. Every request gets a request id: the caller's
 * {@code X-Request-Id} when it is a plausible id, else a fresh UUID; it is echoed in the response
 * and put in the log MDC as {@code request_id}, so every line logged for the request carries it.
 * While the replica drains, responses say {@code Connection: close}, so keep-alive clients (long-
 * polling workers) reconnect through the load balancer to a replica that is not going away.
 * At DEBUG (category {@code dev.flowfabric.coordinator.api} or this class) it logs one line per request.
 */
@ApplicationScoped
public class RequestContext {

    private static final Logger LOG = Logger.getLogger(RequestContext.class);
    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "request_id";
    /** Ids as proxies and clients mint them (UUIDs, hex, base64, dotted/colon forms); anything else is replaced. */
    private static final Pattern PLAUSIBLE_ID = Pattern.compile("^[A-Za-z0-9._:/+=@-]{1,128}$");

    private final WorkSignals signals;

    RequestContext(WorkSignals signals) {
        this.signals = signals;
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        String id = requestId(ctx.request().getHeader(HEADER));
        // Quarkus keeps the MDC in the request's own (duplicated) Vert.x context: it ends with the request.
        MDC.put(MDC_KEY, id);
        HttpServerResponse response = ctx.response();
        response.putHeader(HEADER, id);
        ctx.addHeadersEndHandler(v -> {
            if (signals.closed()) {
                response.putHeader("Connection", "close");
            }
        });
        if (LOG.isDebugEnabled()) {
            long start = System.nanoTime();
            String method = ctx.request().method().name();
            String path = ctx.request().path();
            ctx.addEndHandler(v -> LOG.debugf("%s %s -> %d in %d ms", method, path, response.getStatusCode(),
                    (System.nanoTime() - start) / 1_000_000));
        }
        ctx.next();
    }

    static String requestId(String presented) {
        return presented != null && PLAUSIBLE_ID.matcher(presented).matches() ? presented : UUID.randomUUID().toString();
    }
}

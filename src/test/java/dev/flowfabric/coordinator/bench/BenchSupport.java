package dev.flowfabric.coordinator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.HdrHistogram.Histogram;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What every benchmark needs: a service to talk to (the one at {@code FF_BENCH_URL}, or the
 * packaged jar started here against {@code FF_DB_URL}), a small JSON-over-HTTP client, and
 * latency summaries printed with the shape of the run.
 */
public final class BenchSupport implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    // Vert.x's client costs far less CPU per request than java.net.http, and the load generator
    // shares two cores with the service and Postgres.
    private final Vertx vertx = Vertx.vertx();
    private final HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
            .setMaxPoolSize(64).setPipelining(false));
    /** One event-loop context per calling thread, so requests spread over the client's event loops. */
    private final ThreadLocal<Context> contexts = ThreadLocal.withInitial(vertx::getOrCreateContext);
    private final String base;
    private final String token;
    private final Process service;

    private BenchSupport(String base, String token, Process service) {
        this.base = base;
        this.token = token;
        this.service = service;
    }

    /** Connects to {@code FF_BENCH_URL}, or starts {@code target/quarkus-app/quarkus-run.jar}. */
    public static BenchSupport start() throws Exception {
        String token = System.getenv("FF_API_TOKEN");
        String url = System.getenv("FF_BENCH_URL");
        if (url != null && !url.isBlank()) {
            BenchSupport b = new BenchSupport(url.replaceAll("/$", ""), token, null);
            b.awaitReady(Duration.ofSeconds(60));
            return b;
        }
        String db = System.getenv().getOrDefault("FF_DB_URL", "postgresql://127.0.0.1:5432/flowfabric_bench");
        recreateDatabase(db);
        File jar = Path.of("target", "quarkus-app", "quarkus-run.jar").toFile();
        if (!jar.exists()) {
            throw new IllegalStateException("build the service first: ./mvnw -B -DskipTests package");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar.getPath());
        pb.environment().put("FF_DB_URL", db);
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        pb.redirectErrorStream(true).redirectOutput(new File("target/bench-service.log"));
        Process p = pb.start();
        BenchSupport b = new BenchSupport("http://127.0.0.1:" + port, token, p);
        b.awaitReady(Duration.ofSeconds(90));
        return b;
    }

    /** A fresh database for the run, so earlier runs do not skew it. */
    private static void recreateDatabase(String ffDbUrl) throws Exception {
        URI uri = URI.create(ffDbUrl.replaceFirst("^jdbc:", ""));
        String name = uri.getPath().substring(1);
        String admin = "jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 5432)
                + "/postgres?user=postgres";
        try (Connection c = connect(admin)) {
            c.createStatement().execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
            c.createStatement().execute("CREATE DATABASE \"" + name + "\"");
        }
    }

    private void awaitReady(Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (service != null && !service.isAlive()) {
                throw new IllegalStateException("the service exited; see target/bench-service.log");
            }
            try {
                if (get("/q/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            TimeUnit.MILLISECONDS.sleep(200); // readiness poll with a deadline
        }
        throw new IllegalStateException("the service did not become ready");
    }

    /** A response: status and body text. */
    public record Reply(int statusCode, String body) { }

    public Reply post(String path, Object body) throws IOException, InterruptedException {
        String json = body instanceof String s ? s : JSON.writeValueAsString(body);
        return send(HttpMethod.POST, path, json);
    }

    public Reply get(String path) throws IOException, InterruptedException {
        return send(HttpMethod.GET, path, null);
    }

    /** Blocks the calling thread (a benchmark worker) until the reply arrived. */
    private Reply send(HttpMethod method, String path, String json) throws IOException, InterruptedException {
        RequestOptions o = new RequestOptions().setMethod(method).setAbsoluteURI(base + path);
        if (json != null) {
            o.putHeader("Content-Type", "application/json");
        }
        if (token != null) {
            o.putHeader("Authorization", "Bearer " + token);
        }
        // The whole exchange runs on one event loop: registering the body handler from this thread
        // raced the response's bytes, and about one body in 10^4 arrived before the handler did.
        Promise<Reply> answer = Promise.promise();
        contexts.get().runOnContext(v -> http.request(o)
                    .compose(req -> json == null ? req.send() : req.send(Buffer.buffer(json)))
                    .compose(resp -> resp.body().map(b -> {
                        String length = resp.getHeader("content-length");
                        if (length != null && Integer.parseInt(length) != b.length()) {
                            throw new IllegalStateException("read " + b.length() + " of " + length + " bytes of a "
                                    + resp.statusCode() + " answer to " + method + " " + path);
                        }
                        return new Reply(resp.statusCode(), b.toString());
                    }))
                    .onComplete(answer));
        try {
            return answer.future().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException(e.getCause() == null ? e : e.getCause());
        }
    }

    /** The absolute URI of a path on the service, for clients other than this one (e.g. SSE readers). */
    public URI uri(String path) {
        return URI.create(base + path);
    }

    /** The bearer token the service wants, or null. */
    public String token() {
        return token;
    }

    public static JsonNode json(Reply r) throws IOException {
        return JSON.readTree(r.body());
    }

    public static Histogram histogram() {
        return new Histogram(3_600_000_000L, 3);
    }

    /** "p50=1.2 ms p95=... p99=..." for a histogram of microseconds. */
    public static String percentiles(Histogram h, double... ps) {
        StringBuilder sb = new StringBuilder();
        for (double p : ps) {
            sb.append(String.format(Locale.ROOT, "p%s=%.1f ms ", p == Math.floor(p) ? Integer.toString((int) p)
                    : Double.toString(p), h.getValueAtPercentile(p) / 1000.0));
        }
        return sb.toString().trim();
    }

    public static String shape(Map<String, ?> shape) {
        StringBuilder sb = new StringBuilder("[");
        shape.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(v));
        return sb.append(']').toString();
    }

    /**
     * What autovacuum would do after a bulk load. This machine's Postgres runs with autovacuum off,
     * and plans made while a table looked empty would otherwise stay for the whole run.
     */
    public static void analyze() throws Exception {
        try (Connection c = connect(jdbcUrl())) {
            c.createStatement().execute("ANALYZE");
        }
    }

    /** The Postgres settings that move the numbers, printed beside them. */
    public static String postgresShape() throws Exception {
        try (Connection c = connect(jdbcUrl());
             ResultSet rs = c.createStatement().executeQuery("""
                     SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
                     WHERE name IN ('autovacuum', 'fsync', 'synchronous_commit', 'shared_buffers', 'server_version')
                     """)) {
            rs.next();
            return "postgres [" + rs.getString(1) + "]";
        }
    }

    private static String jdbcUrl() {
        String db = System.getenv().getOrDefault("FF_DB_URL", "postgresql://127.0.0.1:5432/flowfabric_bench");
        return "jdbc:" + db.replaceFirst("^jdbc:", "") + (db.contains("?") ? "&" : "?") + "user=postgres";
    }

    /** Rows of ff_exec_core, by a direct query, for sanity checks after a run. */
    public static long countRows(String sqlWhere) throws Exception {
        try (Connection c = connect(jdbcUrl());
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM ff_exec_core WHERE " + sqlWhere)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The driver directly: under exec:java the DriverManager cannot see it. */
    static Connection connect(String jdbcUrl) throws java.sql.SQLException {
        return new org.postgresql.Driver().connect(jdbcUrl, new java.util.Properties());
    }

    @Override
    public void close() {
        vertx.close();
        if (service != null) {
            service.destroy();
            try {
                service.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

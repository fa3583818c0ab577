package dev.flowfabric.coordinator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three replicas of the packaged service (target/quarkus-app/quarkus-run.jar) on one fresh database,
 * configured the way k8s/ configures a pod (QUARKUS_DATASOURCE_*, QUARKUS_HTTP_PORT, FF_API_TOKEN,
 * JSON logs), with workers attached to each. A mixed workload (creates through every replica,
 * claims, completions, failures that retry, abandoned leases that expire) runs while one replica is
 * killed with SIGKILL. Then: every execution ended exactly once, completed; the leases the dead
 * replica's workers held were expired by the survivors' sweeps and reclaimed; nothing is left
 * leased or waiting; the survivors drain on SIGTERM (a parked long-poll answers 204 at once,
 * readiness goes DOWN); and no log line carries the API token, the database password or the
 * waitpoint secret.
 *
 * <p>The database server is the one of {@code FF_DB_URL} (a database of its own is created and
 * dropped), else an embedded PostgreSQL.
 */
class ReplicasIT {

    static final int EXECUTIONS = 300;
    static final List<String> LANES = List.of("rep-a", "rep-b");
    static final String SIDE_LANE = "rep-side";
    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    static final Path LOGS = Path.of("target/replicas");
    static final ObjectMapper JSON = new ObjectMapper();

    static final String TOKEN = "tok-" + UUID.randomUUID();
    static final String DB_PASSWORD = "pw-" + UUID.randomUUID();
    static final String WAITPOINT_SECRET = "k1=" + UUID.randomUUID().toString().replace("-", "")
            + UUID.randomUUID().toString().replace("-", "");

    static EmbeddedPostgres embedded;
    static String serverJdbc;
    static String user;
    static String serverPassword;
    static String hostPort;
    static String database;
    static final List<Replica> replicas = new ArrayList<>();
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One running instance of the jar. */
    record Replica(int index, int port, Process process, Path log) {
        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }
    }

    @BeforeAll
    static void startThreeReplicas() throws Exception {
        assertTrue(Files.isRegularFile(JAR), JAR + " is missing: run the package phase first");
        provideDatabaseServer();
        database = "ff_replicas_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = DriverManager.getConnection(serverJdbc, user, serverPassword);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        Files.createDirectories(LOGS);
        for (int i = 0; i < 3; i++) {
            replicas.add(start(i));
        }
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptionsInstanceOf(IOException.class).until(() -> {
            for (Replica r : replicas) {
                assertTrue(r.process().isAlive(), "replica " + r.index() + " exited; see " + r.log());
                if (get(r, "/q/health/ready", false).statusCode() != 200) {
                    return false;
                }
            }
            return true;
        });
    }

    @AfterAll
    static void stopEverything() throws Exception {
        for (Replica r : replicas) {
            r.process().destroyForcibly();
            r.process().waitFor(30, TimeUnit.SECONDS);
        }
        if (serverJdbc != null && database != null) {
            try (Connection c = DriverManager.getConnection(serverJdbc, user, serverPassword);
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
        if (embedded != null) {
            embedded.close();
        }
    }

    @Test
    void killOneReplicaMidRunAndEveryExecutionStillEndsOnce() throws Exception {
        Replica victim = replicas.get(2);
        List<Replica> survivors = List.of(replicas.get(0), replicas.get(1));
        operationsSurfaceAnswers(replicas.get(0));

        // Work created through every replica before the kill.
        Map<String, String> kinds = new ConcurrentHashMap<>();
        createWave(0, EXECUTIONS / 2, replicas, kinds);

        Workers workers = new Workers(kinds);
        for (Replica r : replicas) {
            workers.start(r, r == victim ? 2 : 3, r == victim);
        }
        // Kill once work is flowing and the victim's workers hold live leases.
        await().atMost(Duration.ofMinutes(2)).until(() -> workers.completedCount() >= EXECUTIONS / 6
                && workers.liveLeasesOf(victim, System.currentTimeMillis() + 500).size() >= 3);
        long killedAt = System.currentTimeMillis();
        Set<String> heldAtKill = workers.liveLeasesOf(victim, killedAt);
        victim.process().destroyForcibly(); // SIGKILL: no drain, no shutdown hooks
        assertTrue(victim.process().waitFor(10, TimeUnit.SECONDS));

        // More work, through the survivors only, plus a side lane that fails and expires on purpose.
        createWave(EXECUTIONS / 2, EXECUTIONS, survivors, kinds);
        String doomed = UUID.randomUUID().toString();
        workers.failPermanently(doomed);
        createSide(survivors.get(0), "{\"execution_id\":\"" + doomed + "\",\"lane\":\"" + SIDE_LANE
                + "\",\"kind\":\"fail-permanent\"}");
        // No worker has this capability: it waits until its deadline expires it.
        String late = createSide(survivors.get(1), "{\"lane\":\"" + SIDE_LANE + "\",\"kind\":\"never-claimed\","
                + "\"required_capabilities\":[\"nobody-has-this\"],\"deadline_at_ms\":"
                + (System.currentTimeMillis() + 1500) + "}");

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> count("SELECT count(*) FROM ff_exec_core WHERE lane_id = ANY(?) AND public_state = 'completed'",
                        LANES) == EXECUTIONS);
        await().atMost(Duration.ofMinutes(1)).until(() -> "failed".equals(state(doomed)) && "expired".equals(state(late)));
        workers.stop();

        System.out.printf("ReplicasIT shape: 3 replicas, %d executions on %s (1/10 fail once, 1/10 abandoned once), "
                + "workers 3+3+2; replica 2 SIGKILLed after %d completions holding %d live leases; "
                + "all completed %.1f s after the kill%n", EXECUTIONS, LANES, EXECUTIONS / 6, heldAtKill.size(),
                (System.currentTimeMillis() - killedAt) / 1000.0);
        everyExecutionEndedExactlyOnce(kinds, workers);
        survivorsSweptTheDeadReplicasLeases(heldAtKill, killedAt);
        survivorsReportTheDashboardsMetrics(survivors);
        survivorsDrainOnSigterm(survivors);
        noSecretInAnyLog();
    }

    // ---- checks -------------------------------------------------------------------------------

    private static void operationsSurfaceAnswers(Replica r) throws Exception {
        Map<String, Object> deployment = Manifests.base().get("Deployment");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            String path = (String) Manifests.at(Manifests.container(deployment), probe + ".httpGet.path");
            assertEquals(200, get(r, path, false).statusCode(), probe + " " + path + " on the running jar");
        }
        assertEquals(200, get(r, "/q/metrics", false).statusCode());
        assertEquals(200, get(r, "/q/openapi", false).statusCode());
        assertEquals(200, get(r, "/q/swagger-ui/", false).statusCode(), "Swagger UI is served in production too");
        assertEquals(401, get(r, "/v1/executions?limit=1", false).statusCode(), "the API needs the token");
        assertEquals(200, get(r, "/v1/executions?limit=1", true).statusCode());
    }

    private static void everyExecutionEndedExactlyOnce(Map<String, String> kinds, Workers workers) throws SQLException {
        Map<String, Integer> successes = new HashMap<>();
        Map<String, int[]> counts = new HashMap<>();
        try (Connection c = db(); var q = c.prepareStatement("""
                SELECT e.execution_id::text AS id, e.public_state, e.retry_count, e.reclaim_count,
                       (SELECT count(*) FROM ff_attempt a WHERE a.execution_id = e.execution_id
                          AND a.outcome = 'success') AS successes
                FROM ff_exec_core e WHERE e.lane_id = ANY(?)""")) {
            q.setArray(1, c.createArrayOf("text", LANES.toArray()));
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    String id = rs.getString("id");
                    assertEquals("completed", rs.getString("public_state"), id);
                    assertTrue(successes.put(id, rs.getInt("successes")) == null, "two rows for " + id);
                    counts.put(id, new int[] {rs.getInt("retry_count"), rs.getInt("reclaim_count")});
                }
            }
        }
        assertEquals(kinds.keySet(), successes.keySet(), "every created execution exists once, and only those");
        successes.forEach((id, n) -> assertEquals(1, n, id + " has " + n + " successful attempts"));
        workers.completions.forEach((id, n) -> assertEquals(1, n.get(), id + " was completed " + n + " times"));
        assertEquals(EXECUTIONS, workers.completions.size());
        int retried = 0;
        int reclaimed = 0;
        for (var e : kinds.entrySet()) {
            int[] rc = counts.get(e.getKey());
            if (e.getValue().equals("fail-once")) {
                assertTrue(rc[0] >= 1, e.getKey() + " failed once and was retried");
                retried++;
            }
            if (e.getValue().equals("abandon-once")) {
                assertTrue(rc[1] >= 1, e.getKey() + " was abandoned and reclaimed");
                reclaimed++;
            }
        }
        assertTrue(retried > 0 && reclaimed > 0);
        assertEquals(0, count("SELECT count(*) FROM ff_attempt WHERE lease_expires_at_ms IS NOT NULL", null),
                "no lease is left live");
        assertEquals(0, count("SELECT count(*) FROM ff_exec_core WHERE lifecycle_phase <> 'terminal'", null),
                "nothing is left waiting, delayed or active");
    }

    private static void survivorsSweptTheDeadReplicasLeases(Set<String> heldAtKill, long killedAt) throws SQLException {
        assertFalse(heldAtKill.isEmpty());
        for (String id : heldAtKill) {
            try (Connection c = db(); var q = c.prepareStatement("""
                    SELECT bool_or(outcome = 'lease_expired' AND terminal_at_ms >= ?) AS swept_after_kill,
                           bool_or(attempt_type = 'reclaim') AS reclaimed
                    FROM ff_attempt WHERE execution_id = ?::uuid""")) {
                q.setLong(1, killedAt);
                q.setString(2, id);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    assertTrue(rs.getBoolean("swept_after_kill"), id + ": its lease was expired by a survivor's sweep");
                    assertTrue(rs.getBoolean("reclaimed"), id + ": it was reclaimed");
                }
            }
        }
    }

    private static void survivorsReportTheDashboardsMetrics(List<Replica> survivors) throws Exception {
        StringBuilder text = new StringBuilder();
        double expiries = 0;
        for (Replica r : survivors) {
            String scrape = get(r, "/q/metrics", false).body();
            text.append(scrape).append('\n');
            expiries += sum(scrape, "ff_lease_expired_total");
            assertTrue(sum(scrape, "ff_scanner_cycle_total{scanner=\"lease_expiry\"") > 0, "replica " + r.index() + " sweeps");
        }
        assertTrue(expiries > 0, "the survivors expired leases");
        for (String metric : DashboardMetrics.ALL) {
            if (!DashboardMetrics.REPORTED_BY_OTHER_FEATURES.contains(metric)) {
                assertTrue(Pattern.compile("(?m)^" + metric + "[{ ]").matcher(text).find(),
                        "the dashboard reads " + metric + ", which no survivor reports");
            }
        }
    }

    private static void survivorsDrainOnSigterm(List<Replica> survivors) throws Exception {
        Replica r = survivors.get(0);
        String emptyLane = "rep-idle-" + UUID.randomUUID().toString().substring(0, 8);
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<String>> longPoll = http.sendAsync(post(r, "/v1/lanes/" + emptyLane + "/claim",
                "{\"worker_id\":\"w\",\"worker_instance_id\":\"idle\",\"wait_ms\":25000}"),
                HttpResponse.BodyHandlers.ofString());
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> !longPoll.isDone());
        r.process().destroy(); // SIGTERM
        HttpResponse<String> answered = longPoll.get(15, TimeUnit.SECONDS);
        assertEquals(204, answered.statusCode(), "a parked long-poll answers 204 when the drain begins");
        assertTrue((System.nanoTime() - start) / 1_000_000 < 15_000);
        // Inside quarkus.shutdown.delay the replica still serves requests, but reports not ready.
        HttpResponse<String> ready = get(r, "/q/health/ready", false);
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("draining"), ready.body());
        HttpResponse<String> served = get(r, "/v1/executions?limit=1", true);
        assertEquals(200, served.statusCode(), "a request during the drain is still answered");
        assertEquals("close", served.headers().firstValue("Connection").orElse(""),
                "and tells keep-alive clients to reconnect elsewhere");
        assertTrue(r.process().waitFor(40, TimeUnit.SECONDS), "the replica stops within the termination grace");
        Replica other = survivors.get(1);
        other.process().destroy();
        assertTrue(other.process().waitFor(40, TimeUnit.SECONDS));
        String log = Files.readString(r.log());
        assertTrue(log.contains("draining"), "the drain is logged");
        assertTrue(jsonLines(log).stream().anyMatch(j -> j.path("mdc").has("request_id")),
                "JSON log lines written while serving a request carry its request id");
    }

    private static void noSecretInAnyLog() throws IOException {
        for (Replica r : replicas) {
            String log = Files.readString(r.log());
            assertFalse(log.isBlank());
            for (String secret : List.of(TOKEN, DB_PASSWORD, WAITPOINT_SECRET, WAITPOINT_SECRET.substring(3))) {
                assertFalse(log.contains(secret), r.log() + " contains a secret");
            }
            assertFalse(jsonLines(log).isEmpty(), r.log() + " has no JSON log line (FF_LOG_JSON=true)");
        }
    }

    // ---- the workload -------------------------------------------------------------------------

    /** Executions [from, to): one in ten fails once, one in ten is abandoned once, the rest just run. */
    private static void createWave(int from, int to, List<Replica> through, Map<String, String> kinds) throws Exception {
        int batch = 10;
        for (int start = from; start < to; start += batch) {
            StringBuilder body = new StringBuilder("{\"executions\":[");
            List<String> batchKinds = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + batch); i++) {
                String kind = i % 10 == 0 ? "fail-once" : i % 10 == 1 ? "abandon-once" : "plain";
                batchKinds.add(kind);
                if (i > start) {
                    body.append(',');
                }
                body.append("{\"lane\":\"").append(LANES.get(i % 2)).append("\",\"kind\":\"").append(kind)
                        .append("\",\"input\":{\"i\":").append(i).append('}');
                if (kind.equals("fail-once")) {
                    body.append(",\"retry_policy\":{\"max_retries\":3,\"backoff\":{\"type\":\"fixed\",\"initial_ms\":200}}");
                }
                body.append('}');
            }
            body.append("]}");
            Replica r = through.get((start / batch) % through.size());
            HttpResponse<String> created = http.send(post(r, "/v1/executions/batch", body.toString()),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, created.statusCode(), created.body());
            JsonNode views = JSON.readTree(created.body()).path("executions");
            for (int i = 0; i < views.size(); i++) {
                kinds.put(views.get(i).path("execution_id").asText(), batchKinds.get(i));
            }
        }
    }

    private static String createSide(Replica r, String body) throws Exception {
        HttpResponse<String> created = http.send(post(r, "/v1/executions", body), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        return JSON.readTree(created.body()).path("execution_id").asText();
    }

    /**
     * Worker threads attached to one replica each. A worker of the victim holds what it claims
     * (it dies with its replica, as a worker in the same pod would); the others complete, fail
     * once, or drop an abandon-once execution on its first attempt.
     */
    static final class Workers {
        final Map<String, String> kinds;
        final Map<String, AtomicInteger> completions = new ConcurrentHashMap<>();
        /** Leases held by the victim's workers: execution id to lease expiry, by replica. */
        final Map<Integer, Map<String, Long>> held = new ConcurrentHashMap<>();
        final Set<String> permanentFailures = ConcurrentHashMap.newKeySet();
        /** fail-once executions that failed, abandon-once executions that were dropped, once each. */
        final Set<String> failed = ConcurrentHashMap.newKeySet();
        final Set<String> abandoned = ConcurrentHashMap.newKeySet();
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> threads = new ArrayList<>();

        Workers(Map<String, String> kinds) {
            this.kinds = kinds;
        }

        void start(Replica r, int count, boolean holds) {
            for (int i = 0; i < count; i++) {
                String instance = "worker-" + r.index() + "-" + i;
                Thread t = new Thread(() -> run(r, instance, holds), instance);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        void failPermanently(String id) {
            permanentFailures.add(id);
        }

        int completedCount() {
            return completions.size();
        }

        Set<String> liveLeasesOf(Replica r, long at) {
            Set<String> live = new HashSet<>();
            held.getOrDefault(r.index(), Map.of()).forEach((id, expires) -> {
                if (expires > at) {
                    live.add(id);
                }
            });
            return live;
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(15_000);
            }
        }

        private void run(Replica r, String instance, boolean holds) {
            int turn = 0;
            while (!stop.get()) {
                String lane = List.of(LANES.get(0), LANES.get(1), SIDE_LANE).get(turn++ % 3);
                try {
                    HttpResponse<String> claim = http.send(post(r, "/v1/lanes/" + lane + "/claim",
                            "{\"worker_id\":\"rep\",\"worker_instance_id\":\"" + instance + "\",\"max\":"
                                    + (holds ? 2 : 5) + ",\"lease_ttl_ms\":3000,\"wait_ms\":500}"),
                            HttpResponse.BodyHandlers.ofString());
                    if (claim.statusCode() != 200) {
                        continue;
                    }
                    for (JsonNode c : JSON.readTree(claim.body()).path("claims")) {
                        handle(r, c, holds);
                    }
                } catch (IOException e) {
                    if (holds) {
                        return; // its replica is gone, and so is this worker
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        private void handle(Replica r, JsonNode claim, boolean holds) throws IOException, InterruptedException {
            String id = claim.path("execution_id").asText();
            String fence = "\"lease_id\":\"" + claim.path("lease_id").asText() + "\",\"lease_epoch\":"
                    + claim.path("lease_epoch").asLong();
            if (holds) {
                held.computeIfAbsent(r.index(), k -> new ConcurrentHashMap<>())
                        .put(id, claim.path("lease_expires_at_ms").asLong());
                return;
            }
            String kind = kinds.getOrDefault(id, claim.path("kind").asText());
            if (permanentFailures.contains(id)) {
                http.send(post(r, "/v1/executions/" + id + "/fail", "{" + fence
                        + ",\"error\":{\"message\":\"no\",\"category\":\"permanent\"}}"), HttpResponse.BodyHandlers.discarding());
                return;
            }
            if (kind.equals("fail-once") && !failed.contains(id)) {
                HttpResponse<Void> f = http.send(post(r, "/v1/executions/" + id + "/fail", "{" + fence
                        + ",\"error\":{\"message\":\"flaky\",\"category\":\"transient\"}}"),
                        HttpResponse.BodyHandlers.discarding());
                if (f.statusCode() == 200) {
                    failed.add(id);
                }
                return;
            }
            if (kind.equals("abandon-once") && abandoned.add(id)) {
                return; // dropped: the lease must expire and the execution be reclaimed
            }
            if (id.hashCode() % 7 == 0) {
                http.send(post(r, "/v1/executions/" + id + "/renew", "{" + fence + "}"),
                        HttpResponse.BodyHandlers.discarding());
            }
            HttpResponse<String> done = http.send(post(r, "/v1/executions/" + id + "/complete",
                    "{" + fence + ",\"result\":{\"ok\":true}}"), HttpResponse.BodyHandlers.ofString());
            if (done.statusCode() == 200) {
                completions.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            }
        }
    }

    // ---- plumbing -----------------------------------------------------------------------------

    private static Replica start(int index) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = LOGS.resolve("replica-" + index + ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", JAR.toString());
        Map<String, String> env = pb.environment();
        env.remove("FF_DB_URL");
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://" + hostPort + "/" + database);
        env.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://" + hostPort + "/" + database);
        env.put("QUARKUS_DATASOURCE_USERNAME", user);
        // The servers these tests use trust local connections, so this password is never checked;
        // it is set to prove it never reaches a log.
        env.put("QUARKUS_DATASOURCE_PASSWORD", serverPassword != null ? serverPassword : DB_PASSWORD);
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("FF_API_TOKEN", TOKEN);
        env.put("FF_LOG_JSON", "true");
        env.put("FLOWFABRIC_WAITPOINT_SECRETS", WAITPOINT_SECRET);
        // The workload lasts seconds: recount queue depth often enough for it to be reported.
        env.put("FLOWFABRIC_METRICS_QUEUE_DEPTH_EVERY", "2s");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return new Replica(index, port, pb.start(), log);
    }

    private static void provideDatabaseServer() throws IOException {
        String raw = System.getenv("FF_DB_URL");
        if (raw == null || raw.isBlank()) {
            embedded = EmbeddedPostgres.builder().setServerConfig("max_connections", "300").start();
            hostPort = "localhost:" + embedded.getPort();
            user = "postgres";
            serverJdbc = "jdbc:postgresql://" + hostPort + "/postgres";
            return;
        }
        String url = raw.trim().replaceFirst("^jdbc:", "").replaceFirst("^postgres://", "postgresql://");
        URI uri = URI.create(url);
        user = "postgres";
        if (uri.getUserInfo() != null) {
            String[] parts = uri.getUserInfo().split(":", 2);
            user = parts[0];
            serverPassword = parts.length > 1 ? parts[1] : null;
        }
        hostPort = uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 5432);
        serverJdbc = "jdbc:postgresql://" + hostPort + uri.getPath();
    }

    private static Connection db() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + hostPort + "/" + database, user, serverPassword);
    }

    private static long count(String sql, List<String> lanes) throws SQLException {
        try (Connection c = db(); var q = c.prepareStatement(sql)) {
            if (lanes != null) {
                q.setArray(1, c.createArrayOf("text", lanes.toArray()));
            }
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String state(String id) throws SQLException {
        try (Connection c = db(); var q = c.prepareStatement(
                "SELECT public_state FROM ff_exec_core WHERE execution_id = ?::uuid")) {
            q.setString(1, id);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    static HttpRequest post(Replica r, String path, String body) {
        return HttpRequest.newBuilder(URI.create(r.url(path))).timeout(Duration.ofSeconds(40))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    static HttpResponse<String> get(Replica r, String path, boolean authorized) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(r.url(path))).timeout(Duration.ofSeconds(10)).GET();
        if (authorized) {
            b.header("Authorization", "Bearer " + TOKEN);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sum of the samples whose line starts with {@code prefix}. */
    private static double sum(String scrape, String prefix) {
        double total = 0;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(prefix) + "[^\\n]*\\s(\\S+)$").matcher(scrape);
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    private static List<JsonNode> jsonLines(String log) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : log.split("\n")) {
            if (line.startsWith("{")) {
                try {
                    JsonNode j = JSON.readTree(line);
                    if (j.has("message")) {
                        out.add(j);
                    }
                } catch (IOException ignored) {
                    // a line a JSON formatter did not write
                }
            }
        }
        return out;
    }
}

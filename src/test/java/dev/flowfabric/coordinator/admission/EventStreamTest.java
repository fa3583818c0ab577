package dev.flowfabric.coordinator.admission;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.flowfabric.coordinator.admission.Api.ok;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
class EventStreamTest {

    @TestHTTPResource("/v1/events/stream")
    URL stream;

    /** One SSE event: its id, name and data line. */
    record Sse(long id, String name, String data) { }

    /** Reads the stream in the background until it is closed, collecting the events of one execution. */
    static final class Reader implements AutoCloseable {
        final List<Sse> events = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile java.io.InputStream body;

        Reader(URI uri, String lastEventId, String executionId) {
            HttpRequest.Builder req = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
            if (lastEventId != null) {
                req.header("Last-Event-ID", lastEventId);
            }
            thread = new Thread(() -> {
                try {
                    HttpResponse<java.io.InputStream> r = HttpClient.newHttpClient().send(req.build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    body = r.body();
                    BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
                    long id = -1;
                    String name = null;
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.startsWith("id:")) {
                            id = Long.parseLong(line.substring(3).trim());
                        } else if (line.startsWith("event:")) {
                            name = line.substring(6).trim();
                        } else if (line.startsWith("data:")) {
                            String data = line.substring(5).trim();
                            if (data.contains(executionId)) {
                                events.add(new Sse(id, name, data));
                            }
                        }
                    }
                } catch (Exception e) {
                    // closed by the test
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws Exception {
            if (body != null) {
                body.close();
            }
            thread.interrupt();
        }
    }

    @Test
    void streamsNewEventsInOrderAndResumesFromLastEventId() throws Exception {
        String lane = Api.lane();
        String id = Api.create(lane, "");
        long created = ok(given().get("/v1/events?execution_id=" + id), 200).getLong("events[0].event_id");

        // From `after`: the creation (already in the log) and what follows, in order.
        try (Reader r = new Reader(URI.create(stream + "?after=" + (created - 1)), null, id)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> r.events.size() >= 1);
            Api.complete(Api.claim(lane, 1).get(0));
            await().atMost(Duration.ofSeconds(10)).until(() -> r.events.size() >= 3);
            List<Long> ids = new ArrayList<>();
            r.events.forEach(e -> ids.add(e.id()));
            assertEquals(ids.stream().sorted().toList(), ids);
            assertEquals("event", r.events.get(0).name());
            assertEquals(created, r.events.get(0).id());
            assertEquals(true, r.events.get(2).data().contains("execution.completed"));
        }

        // Resuming by Last-Event-ID delivers only what came after it.
        try (Reader r = new Reader(URI.create(stream.toString()), Long.toString(created), id)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> r.events.size() >= 2);
            assertEquals(true, r.events.get(0).id() > created);
            assertEquals(true, r.events.get(0).data().contains("execution.claimed"));
        }

        // Without a position the stream starts when it connects: only later events come (claims
        // and revocations of `other`, repeated until one arrives), never its creation.
        String other = Api.create(lane, "");
        try (Reader r = new Reader(URI.create(stream.toString()), null, other)) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (Api.claim(lane, 1).isEmpty()) {
                    ok(Api.post("/v1/executions/" + other + "/revoke-lease", "{\"reason\":\"again\"}"), 200);
                }
                return !r.events.isEmpty();
            });
            assertEquals(false, r.events.stream().anyMatch(e -> e.data().contains("execution.created")));
        }
    }
}

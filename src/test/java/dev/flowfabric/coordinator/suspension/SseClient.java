package dev.flowfabric.coordinator.suspension;

import io.restassured.RestAssured;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A minimal SSE reader: collects events (name, id, data) from one stream in the background. */
final class SseClient implements AutoCloseable {

    record Event(String name, String id, String data) { }

    final List<Event> events = new CopyOnWriteArrayList<>();
    /** Lines that are none of the fields this service sends (event, id, data). */
    final List<String> otherLines = new CopyOnWriteArrayList<>();
    volatile int status;
    volatile String contentType;
    volatile boolean ended;
    private final ExecutorService reader = Executors.newSingleThreadExecutor();
    private volatile InputStream body;

    static SseClient open(String path, String lastEventId) throws Exception {
        SseClient c = new SseClient();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + path))
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        c.status = r.statusCode();
        c.contentType = r.headers().firstValue("content-type").orElse("");
        c.body = r.body();
        c.reader.submit(c::read);
        return c;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String name = null;
            String id = null;
            StringBuilder data = new StringBuilder();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isEmpty()) {
                    if (data.length() > 0 || name != null) {
                        events.add(new Event(name == null ? "message" : name, id, data.toString()));
                    }
                    name = null;
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
                } else {
                    otherLines.add(line);
                }
            }
        } catch (Exception e) {
            // the stream ended or was closed by the test
        } finally {
            ended = true;
        }
    }

    List<Event> named(String name) {
        return events.stream().filter(e -> e.name().equals(name)).toList();
    }

    @Override
    public void close() throws Exception {
        body.close();
        reader.shutdownNow();
    }
}

package dev.flowfabric.coordinator.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.RestAssured;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A thin JSON client on {@link HttpClient} (kept-alive connections, Jackson) for tests that send
 * thousands of requests from many threads, or odd bodies, where RestAssured's per-call cost would
 * dominate (it takes seconds over a deeply nested body).
 */
public final class LeanClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String base = RestAssured.baseURI + ":" + RestAssured.port;

    public record Reply(int status, JsonNode body) { }

    public Reply post(String path, Object body) {
        try {
            HttpResponse<byte[]> r = send("POST", path, JSON.writeValueAsBytes(body));
            return new Reply(r.statusCode(), r.body().length == 0 ? null : JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code body} as it is, labelled JSON; the answer's body stays bytes. */
    public HttpResponse<byte[]> send(String method, String path, byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

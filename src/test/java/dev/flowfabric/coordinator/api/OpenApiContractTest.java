package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.domain.ProblemKind;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every /v1 route of the contract (api.md) is in /q/openapi, with request and response schemas and
 * its problem responses. The routes are listed here from the contract, not read from the code, so a
 * route that is missing or misspelt fails; the application's own routes are read from its JAX-RS
 * resources and must all be contract routes.
 */
@QuarkusTest
class OpenApiContractTest {

    record Route(String method, String path) {
        /** Path templates compared without their parameter names ({id} and {execution_id} are the same route). */
        String key() {
            return method + " " + path.replaceAll("\\{[^}]+}", "{}").replaceAll("/$", "");
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    /** Every route of api.md §1–§7: each must be served and documented. */
    static final List<Route> MANDATORY = List.of(
            // §1 executions
            new Route("POST", "/v1/executions"),
            new Route("POST", "/v1/executions/batch"),
            new Route("GET", "/v1/executions/{id}"),
            new Route("GET", "/v1/executions/{id}/attempts"),
            new Route("GET", "/v1/executions"),
            new Route("POST", "/v1/executions/{id}/cancel"),
            new Route("PUT", "/v1/executions/{id}/priority"),
            new Route("POST", "/v1/executions/{id}/replay"),
            new Route("POST", "/v1/executions/{id}/revoke-lease"),
            // §2.1 worker registry
            new Route("POST", "/v1/workers"),
            new Route("POST", "/v1/workers/{worker_instance_id}/heartbeat"),
            new Route("DELETE", "/v1/workers/{worker_instance_id}"),
            new Route("GET", "/v1/workers"),
            // §2.2–2.4 claim and the fenced worker calls
            new Route("POST", "/v1/lanes/{lane}/claim"),
            new Route("POST", "/v1/executions/{id}/renew"),
            new Route("POST", "/v1/executions/{id}/progress"),
            new Route("POST", "/v1/executions/{id}/complete"),
            new Route("POST", "/v1/executions/complete"),
            new Route("POST", "/v1/executions/{id}/fail"),
            new Route("POST", "/v1/executions/{id}/delay"),
            // §3 flows
            new Route("POST", "/v1/flows"),
            new Route("GET", "/v1/flows/{id}"),
            new Route("GET", "/v1/flows/{id}/members"),
            new Route("GET", "/v1/flows/{id}/edges"),
            new Route("POST", "/v1/flows/{id}/members"),
            new Route("POST", "/v1/flows/{id}/edges"),
            new Route("PUT", "/v1/flows/{id}/groups/{downstream_id}"),
            new Route("POST", "/v1/flows/{id}/cancel"),
            // §4 suspension, waitpoints, signals
            new Route("POST", "/v1/executions/{id}/suspend"),
            new Route("POST", "/v1/executions/{id}/waitpoints"),
            new Route("GET", "/v1/executions/{id}/waitpoints"),
            new Route("POST", "/v1/executions/{id}/signals"),
            new Route("POST", "/v1/admin/waitpoint-keys"),
            // §5 output streams
            new Route("POST", "/v1/executions/{id}/attempts/{n}/frames"),
            new Route("GET", "/v1/executions/{id}/attempts/{n}/frames"),
            new Route("GET", "/v1/executions/{id}/attempts/{n}/frames/stream"),
            new Route("GET", "/v1/executions/{id}/summary"),
            // §6 budgets and quotas
            new Route("POST", "/v1/budgets"),
            new Route("GET", "/v1/budgets/{id}"),
            new Route("POST", "/v1/budgets/{id}/usage"),
            new Route("POST", "/v1/budgets/{id}/reset"),
            new Route("POST", "/v1/quotas"),
            new Route("GET", "/v1/quotas/{id}"),
            // §7 events
            new Route("GET", "/v1/events"),
            new Route("GET", "/v1/events/stream"));

    /** The SSE tails (api.md §5, §7): their success is {@code text/event-stream}, not JSON. */
    static final Set<Route> SSE = Set.of(
            new Route("GET", "/v1/executions/{id}/attempts/{n}/frames/stream"),
            new Route("GET", "/v1/events/stream"));

    /** POSTs that take no body as well as a JSON one (api.md §0; operator calls with a reason only). */
    static final Set<Route> OPTIONAL_BODY = Set.of(
            new Route("POST", "/v1/executions/{id}/cancel"),
            new Route("POST", "/v1/executions/{id}/replay"),
            new Route("POST", "/v1/executions/{id}/revoke-lease"),
            new Route("POST", "/v1/workers/{worker_instance_id}/heartbeat"),
            new Route("POST", "/v1/budgets/{id}/reset"));

    /**
     * Routes with a path parameter that never answer 404: a lane is a name, not a stored entity (a bad
     * one is a 400), and deregistering is idempotent (api.md §2.1: always 204).
     */
    static final Set<Route> NO_NOT_FOUND = Set.of(
            new Route("POST", "/v1/lanes/{lane}/claim"),
            new Route("DELETE", "/v1/workers/{worker_instance_id}"));

    private static final String[] FENCE = {"execution_not_active", "lease_revoked", "lease_expired", "stale_lease"};

    /**
     * The problem kinds each route answers beyond those every route can (invalid_input, invalid_json,
     * unauthorized, not_found, payload_too_large, unsupported_media_type, unavailable), from api.md
     * §0.1 and the route's section. Each must be named in the route's response of the kind's status;
     * a route documenting a 403, 409 or 429 must be listed here with a kind of that status.
     */
    static final Map<Route, List<String>> KINDS = Map.ofEntries(
            kinds("POST", "/v1/executions", "invalid_capabilities", "invalid_policy", "idempotency_conflict",
                    "flow_already_terminal"),
            kinds("POST", "/v1/executions/batch", "invalid_capabilities", "invalid_policy", "idempotency_conflict",
                    "flow_already_terminal"),
            kinds("GET", "/v1/executions", "invalid_cursor"),
            kinds("POST", "/v1/executions/{id}/cancel", FENCE),
            kinds("PUT", "/v1/executions/{id}/priority", "not_runnable"),
            kinds("POST", "/v1/executions/{id}/replay", "execution_not_terminal"),
            kinds("POST", "/v1/executions/{id}/revoke-lease", "not_runnable"),
            kinds("POST", "/v1/workers", "invalid_capabilities", "idempotency_conflict"),
            kinds("GET", "/v1/workers", "invalid_cursor"),
            kinds("POST", "/v1/lanes/{lane}/claim", "invalid_capabilities"),
            kinds("POST", "/v1/executions/{id}/renew", FENCE),
            kinds("POST", "/v1/executions/{id}/progress", FENCE),
            kinds("POST", "/v1/executions/{id}/complete", FENCE),
            kinds("POST", "/v1/executions/{id}/fail", FENCE),
            kinds("POST", "/v1/executions/{id}/delay", FENCE),
            kinds("POST", "/v1/flows", "invalid_capabilities", "invalid_policy", "invalid_condition",
                    "idempotency_conflict", "execution_already_in_flow", "cycle_detected", "self_referencing_edge",
                    "dependency_already_exists"),
            kinds("GET", "/v1/flows/{id}/members", "invalid_cursor"),
            kinds("GET", "/v1/flows/{id}/edges", "invalid_cursor"),
            kinds("POST", "/v1/flows/{id}/members", "partition_mismatch", "execution_already_in_flow",
                    "flow_already_terminal"),
            kinds("POST", "/v1/flows/{id}/edges", "invalid_condition", "cycle_detected", "self_referencing_edge",
                    "dependency_already_exists", "stale_graph_revision", "flow_already_terminal"),
            kinds("PUT", "/v1/flows/{id}/groups/{downstream_id}", "invalid_policy", "not_runnable",
                    "flow_already_terminal"),
            kinds("POST", "/v1/flows/{id}/cancel", "invalid_policy", "flow_already_terminal"),
            kinds("POST", "/v1/executions/{id}/suspend", "invalid_condition", "execution_not_active", "lease_revoked",
                    "lease_expired", "stale_lease", "idempotency_conflict"),
            kinds("POST", "/v1/executions/{id}/waitpoints", FENCE),
            kinds("GET", "/v1/executions/{id}/waitpoints", "invalid_cursor"),
            kinds("POST", "/v1/executions/{id}/signals", "invalid_token", "waitpoint_closed"),
            kinds("POST", "/v1/admin/waitpoint-keys", "idempotency_conflict"),
            kinds("POST", "/v1/executions/{id}/attempts/{n}/frames", FENCE),
            kinds("GET", "/v1/executions/{id}/attempts/{n}/frames/stream", "resource_exhausted"),
            kinds("POST", "/v1/budgets", "invalid_policy", "idempotency_conflict"),
            kinds("POST", "/v1/quotas", "invalid_policy", "idempotency_conflict"),
            kinds("GET", "/v1/events", "invalid_cursor"),
            kinds("GET", "/v1/events/stream", "invalid_cursor"));

    private static Map.Entry<Route, List<String>> kinds(String method, String path, String... kinds) {
        return Map.entry(new Route(method, path), List.of(kinds));
    }

    static JsonNode openApi;
    static Set<String> documented;
    static Set<String> served;

    /** Once per class, but after Quarkus has set RestAssured's (random) port, which a static @BeforeAll precedes. */
    @BeforeEach
    void load() throws Exception {
        if (openApi != null) {
            return;
        }
        String text = given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .extract().asString();
        openApi = new ObjectMapper().readTree(text);
        Files.writeString(Paths.get("target", "openapi.json"), text);
        documented = new TreeSet<>();
        openApi.path("paths").fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(m -> {
            if (!m.equals("parameters")) {
                documented.add(new Route(m.toUpperCase(Locale.ROOT), p.getKey()).key());
            }
        }));
        served = servedRoutes();
    }

    @Test
    void everyContractRouteIsServedAndDocumented() {
        for (Route r : MANDATORY) {
            assertTrue(served.contains(r.key()), "the application does not serve " + r + "; it serves " + served);
            assertTrue(documented.contains(r.key()), r + " is not in /q/openapi: " + documented);
        }
    }

    @Test
    void theApplicationServesNoRouteOutsideTheContract() {
        Set<String> contract = new HashSet<>();
        MANDATORY.forEach(r -> contract.add(r.key()));
        for (String route : served) {
            assertTrue(contract.contains(route), route + " is not a route of api.md");
        }
    }

    @Test
    void everyRouteHasSchemasAndProblemResponses() {
        for (Route r : MANDATORY) {
            JsonNode op = operation(r);
            assertTrue(op.path("summary").asText().contains("api.md §"),
                    r + " has no @Operation summary: " + op.path("summary"));
            assertTrue(op.path("tags").size() > 0 && !op.path("tags").get(0).asText().endsWith("Resource"),
                    r + " has no @Tag: " + op.path("tags"));
            JsonNode responses = op.path("responses");
            boolean success = false;
            for (Iterator<String> it = responses.fieldNames(); it.hasNext(); ) {
                String status = it.next();
                if (!status.startsWith("2")) {
                    continue;
                }
                success = true;
                JsonNode response = resolve(responses.get(status));
                if (status.equals("204")) {
                    assertTrue(response.path("content").isMissingNode(), r + " 204 documents a body: " + response);
                } else if (SSE.contains(r)) {
                    assertEquals("string", response.path("content").path("text/event-stream").path("schema")
                            .path("type").asText(), r + " " + status + " is not text/event-stream: " + response);
                } else {
                    assertSchemaRef(r + " " + status, response.path("content").path("application/json"));
                }
            }
            assertTrue(success, r + " documents no success response");
            for (String status : List.of("400", "401", "503")) {
                assertProblem(r, responses, status);
            }
            if (r.path().contains("{") && !NO_NOT_FOUND.contains(r)) {
                assertProblem(r, responses, "404");
            }
            if (r.method().equals("POST") || r.method().equals("PUT")) {
                JsonNode body = op.path("requestBody");
                assertSchemaRef(r + " request body", body.path("content").path("application/json"));
                assertEquals(!OPTIONAL_BODY.contains(r), body.path("required").asBoolean(false),
                        r + " documents its body as " + (OPTIONAL_BODY.contains(r) ? "required" : "optional"));
                assertProblem(r, responses, "413");
                assertProblem(r, responses, "415");
            } else {
                assertTrue(op.path("requestBody").isMissingNode(), r + " documents a request body");
            }
        }
    }

    @Test
    void everyRouteDocumentsTheKindsItAnswers() {
        for (var entry : KINDS.entrySet()) {
            Route r = entry.getKey();
            assertTrue(MANDATORY.contains(r), r + " is not a contract route");
            JsonNode responses = operation(r).path("responses");
            for (String kind : entry.getValue()) {
                String status = Integer.toString(ProblemKind.valueOf(kind.toUpperCase(Locale.ROOT)).status());
                assertProblem(r, responses, status);
                String description = resolve(responses.get(status)).path("description").asText();
                assertTrue(description.contains(kind),
                        r + " " + status + " does not name " + kind + ": " + description);
            }
        }
        // A 403, 409 or 429 documented for a route means it answers one of those kinds: the table must say which.
        for (Route r : MANDATORY) {
            JsonNode responses = operation(r).path("responses");
            for (String status : List.of("403", "409", "429")) {
                if (responses.has(status)) {
                    List<String> expected = KINDS.getOrDefault(r, List.of());
                    assertTrue(expected.stream().anyMatch(k -> Integer.toString(
                                    ProblemKind.valueOf(k.toUpperCase(Locale.ROOT)).status()).equals(status)),
                            r + " documents " + status + " but the contract gives it no such kind");
                }
            }
        }
    }

    /**
     * The documented {@code required} of each request body is what the server does: an empty POST or
     * PUT to a route whose body is required is refused with 400; to one whose body is optional it gets
     * past the body to the unknown id (404).
     */
    @Test
    void documentedBodiesAreRequiredExactlyWhenTheServerRequiresThem() {
        for (Route r : MANDATORY) {
            if (!r.method().equals("POST") && !r.method().equals("PUT")) {
                continue;
            }
            String path = r.path().replace("{lane}", "openapi-" + UUID.randomUUID()).replace("{n}", "1")
                    .replaceAll("\\{[^}]+}", UUID.randomUUID().toString());
            int status = given().request(r.method(), path).then().extract().statusCode();
            assertEquals(OPTIONAL_BODY.contains(r) ? 404 : 400, status, r + " with no body (" + path + ")");
        }
    }

    /**
     * The document's schemas are the API's own: each is used by some route (no framework type the
     * scanner wandered into, such as an SSE event class or a Jackson tree node), and no two records
     * share a name (the scanner would number the second).
     */
    @Test
    void everySchemaIsUsedAndNamedOnce() {
        Set<String> used = new TreeSet<>();
        List<JsonNode> pending = new ArrayList<>(List.of(openApi.path("paths")));
        while (!pending.isEmpty()) {
            JsonNode node = pending.remove(pending.size() - 1);
            for (JsonNode ref : node.findValues("$ref")) {
                String target = ref.asText();
                String name = target.substring(target.lastIndexOf('/') + 1);
                if (target.startsWith("#/components/schemas/") && used.add(name)) {
                    pending.add(openApi.path("components").path("schemas").path(name));
                } else if (target.startsWith("#/components/responses/") && used.add("response " + name)) {
                    pending.add(openApi.path("components").path("responses").path(name));
                }
            }
        }
        for (Iterator<String> it = openApi.path("components").path("schemas").fieldNames(); it.hasNext(); ) {
            String name = it.next();
            assertTrue(used.contains(name), "schema " + name + " is used by no route");
            assertFalse(Character.isDigit(name.charAt(name.length() - 1)),
                    "schema " + name + " shares its record's name with another");
        }
    }

    @Test
    void schemasUseTheWireNames() {
        JsonNode view = openApi.path("components").path("schemas").path("ExecutionView").path("properties");
        for (String field : List.of("execution_id", "public_state", "lifecycle_phase", "current_lease", "created_at_ms")) {
            assertTrue(view.has(field), "ExecutionView lacks " + field + ": " + view.fieldNames());
        }
        JsonNode problem = openApi.path("components").path("schemas").path("Problem").path("properties");
        assertEquals("[\"type\",\"title\",\"status\",\"detail\",\"kind\",\"retryable\"]",
                openApi.path("components").path("schemas").path("Problem").path("required").toString());
        assertTrue(problem.path("kind").path("enum").toString().contains("stale_lease"));
    }

    @Test
    void swaggerUiIsServed() {
        given().get("/q/swagger-ui/").then().statusCode(200);
    }

    /** A JSON body documented by a named schema (a record), which the document defines. */
    private static void assertSchemaRef(String what, JsonNode media) {
        String ref = media.path("schema").path("$ref").asText("");
        assertTrue(ref.startsWith("#/components/schemas/"), what + " has no JSON schema of a record: " + media);
        assertTrue(openApi.path("components").path("schemas").has(ref.substring(ref.lastIndexOf('/') + 1)),
                what + " names an undefined schema " + ref);
    }

    private static void assertProblem(Route r, JsonNode responses, String status) {
        assertTrue(responses.has(status), r + " does not document " + status + ": " + responses.fieldNames());
        JsonNode response = resolve(responses.get(status));
        String ref = response.path("content").path("application/problem+json").path("schema").path("$ref").asText();
        assertTrue(ref.endsWith("/Problem"), r + " " + status + " is not a problem+json Problem: " + response);
    }

    private static JsonNode operation(Route r) {
        Iterator<Map.Entry<String, JsonNode>> paths = openApi.path("paths").fields();
        while (paths.hasNext()) {
            var p = paths.next();
            if (new Route(r.method(), p.getKey()).key().equals(r.key())) {
                return p.getValue().path(r.method().toLowerCase(Locale.ROOT));
            }
        }
        throw new AssertionError(r + " is not documented");
    }

    /** Follows a {@code $ref} to components.responses. */
    private static JsonNode resolve(JsonNode response) {
        String ref = response.path("$ref").asText("");
        if (ref.isEmpty()) {
            return response;
        }
        return openApi.path("components").path("responses").path(ref.substring(ref.lastIndexOf('/') + 1));
    }

    /** The application's routes, from the JAX-RS annotations of its classes. */
    private static Set<String> servedRoutes() throws IOException, URISyntaxException, ClassNotFoundException {
        String root = "dev/flowfabric/coordinator";
        List<String> classNames = new ArrayList<>();
        // Both target/classes and target/test-classes hold the package; test classes serve nothing.
        for (URL url : Collections.list(OpenApiContractTest.class.getClassLoader().getResources(root))) {
            if (!url.getProtocol().equals("file")) {
                continue;
            }
            java.nio.file.Path base = Paths.get(url.toURI());
            try (Stream<java.nio.file.Path> files = Files.walk(base)) {
                files.filter(f -> f.toString().endsWith(".class")).forEach(f -> classNames.add(
                        (root + "/" + base.relativize(f)).replace('/', '.').replaceAll("\\.class$", "")));
            }
        }
        Set<String> routes = new TreeSet<>();
        for (String name : classNames) {
            Class<?> type = Class.forName(name, false, OpenApiContractTest.class.getClassLoader());
            Path classPath = type.getAnnotation(Path.class);
            if (classPath == null) {
                continue;
            }
            for (Method m : type.getDeclaredMethods()) {
                String verb = httpMethod(m);
                if (verb == null) {
                    continue;
                }
                Path methodPath = m.getAnnotation(Path.class);
                String path = classPath.value() + (methodPath == null ? "" : "/" + methodPath.value());
                routes.add(new Route(verb, path.replaceAll("/+", "/")).key());
            }
        }
        return routes;
    }

    private static String httpMethod(Method m) {
        for (Annotation a : m.getAnnotations()) {
            HttpMethod verb = a.annotationType().getAnnotation(HttpMethod.class);
            if (verb != null) {
                return verb.value();
            }
        }
        return null;
    }
}

package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every /v1 route of the contract (api.md) is in /q/openapi, with request and response schemas and
 * problem responses. The routes are listed here from the contract, not read from the code, so a
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

    /** Routes built on this branch's foundation: api.md §1 and §2.2–2.4. They must be documented now. */
    static final List<Route> MANDATORY = List.of(
            new Route("POST", "/v1/executions"),
            new Route("POST", "/v1/executions/batch"),
            new Route("GET", "/v1/executions/{id}"),
            new Route("GET", "/v1/executions/{id}/attempts"),
            new Route("GET", "/v1/executions"),
            new Route("POST", "/v1/executions/{id}/cancel"),
            new Route("PUT", "/v1/executions/{id}/priority"),
            new Route("POST", "/v1/executions/{id}/replay"),
            new Route("POST", "/v1/executions/{id}/revoke-lease"),
            new Route("POST", "/v1/lanes/{lane}/claim"),
            new Route("POST", "/v1/executions/{id}/renew"),
            new Route("POST", "/v1/executions/{id}/progress"),
            new Route("POST", "/v1/executions/{id}/complete"),
            new Route("POST", "/v1/executions/complete"),
            new Route("POST", "/v1/executions/{id}/fail"),
            new Route("POST", "/v1/executions/{id}/delay"));

    /**
     * Routes of api.md §2.1, §3, §4, §5, §6 and §7, built on other branches. Each is checked as soon
     * as the application has it; once every branch is merged they all move to {@link #MANDATORY}.
     */
    static final List<Route> PENDING_MERGE = List.of(
            // §2.1 worker registry
            new Route("POST", "/v1/workers"),
            new Route("POST", "/v1/workers/{worker_instance_id}/heartbeat"),
            new Route("DELETE", "/v1/workers/{worker_instance_id}"),
            new Route("GET", "/v1/workers"),
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
    void everyFoundationRouteIsServedAndDocumented() {
        for (Route r : MANDATORY) {
            assertTrue(served.contains(r.key()), "the application does not serve " + r + "; it serves " + served);
            assertTrue(documented.contains(r.key()), r + " is not in /q/openapi: " + documented);
        }
    }

    @Test
    void everyRouteOfOtherBranchesIsDocumentedOnceServed() {
        for (Route r : PENDING_MERGE) {
            if (served.contains(r.key())) {
                assertTrue(documented.contains(r.key()), r + " is served but not in /q/openapi");
            }
        }
    }

    @Test
    void theApplicationServesNoRouteOutsideTheContract() {
        Set<String> contract = new HashSet<>();
        Stream.concat(MANDATORY.stream(), PENDING_MERGE.stream()).forEach(r -> contract.add(r.key()));
        for (String route : served) {
            assertTrue(contract.contains(route), route + " is not a route of api.md");
        }
    }

    @Test
    void foundationRoutesHaveSchemasAndProblemResponses() {
        for (Route r : MANDATORY) {
            JsonNode op = operation(r);
            JsonNode responses = op.path("responses");
            boolean success = false;
            for (Iterator<String> it = responses.fieldNames(); it.hasNext(); ) {
                String status = it.next();
                if (!status.startsWith("2")) {
                    continue;
                }
                success = true;
                JsonNode response = resolve(responses.get(status));
                if (!status.equals("204")) {
                    assertTrue(response.path("content").path("application/json").has("schema"),
                            r + " " + status + " has no JSON schema: " + response);
                }
            }
            assertTrue(success, r + " documents no success response");
            for (String status : List.of("400", "401", "503")) {
                assertProblem(r, responses, status);
            }
            if (r.path().contains("{")) {
                assertProblem(r, responses, r.path().startsWith("/v1/lanes") ? "400" : "404");
            }
            if (!r.method().equals("GET")) {
                JsonNode body = op.path("requestBody").path("content").path("application/json");
                assertTrue(body.has("schema"), r + " documents no JSON request body");
                assertProblem(r, responses, "413");
                assertProblem(r, responses, "415");
            }
        }
    }

    @Test
    void fencedCallsDocumentTheFenceConflicts() {
        for (String call : List.of("renew", "progress", "complete", "fail", "delay", "cancel")) {
            JsonNode op = operation(new Route("POST", "/v1/executions/{id}/" + call));
            JsonNode conflict = resolve(op.path("responses").path("409"));
            assertTrue(conflict.path("description").asText().contains("stale_lease"), call + ": " + conflict);
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

    private static void assertProblem(Route r, JsonNode responses, String status) {
        assertTrue(responses.has(status), r + " does not document " + status + ": " + responses.fieldNames());
        JsonNode response = resolve(responses.get(status));
        String ref = response.path("content").path("application/problem+json").path("schema").path("$ref").asText();
        assertTrue(ref.endsWith("/Problem"), r + " " + status + " is not a problem+json Problem: " + response);
    }

    private static JsonNode operation(Route r) {
        Iterator<java.util.Map.Entry<String, JsonNode>> paths = openApi.path("paths").fields();
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

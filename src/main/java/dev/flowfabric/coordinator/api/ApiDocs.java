package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.domain.ProblemKind;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI document's shared parts (api.md §0.1, §0.2): the {@code Problem} schema, the bearer
 * scheme, and named problem responses. Resources name their route-specific problems with
 * {@code @APIResponse(responseCode = ..., ref = ...)}; every {@code /v1} operation also gets the
 * problems any route can answer (400, 401, 503, and 413/415 where it takes a body) unless it
 * documents that status itself. An error a resource documents by description only gets the
 * problem+json body here, so annotations stay one line per status.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class ApiDocs implements OASFilter {

    public static final String PROBLEM_JSON = ProblemMapper.PROBLEM_JSON;
    public static final String PROBLEM = "Problem";

    /** Named responses (components.responses) for {@code @APIResponse(ref = ...)}. */
    public static final String BAD_REQUEST = "BadRequest";
    public static final String NOT_FOUND = "NotFound";
    public static final String FENCE_CONFLICT = "FenceConflict";
    static final String UNAUTHORIZED = "Unauthorized";
    static final String PAYLOAD_TOO_LARGE = "PayloadTooLarge";
    static final String UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType";
    static final String UNAVAILABLE = "Unavailable";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents() == null ? OASFactory.createComponents() : openAPI.getComponents();
        openAPI.setComponents(components);
        components.addSchema(PROBLEM, problemSchema());
        components.addSecurityScheme("bearer", OASFactory.createSecurityScheme()
                .type(org.eclipse.microprofile.openapi.models.security.SecurityScheme.Type.HTTP).scheme("bearer")
                .description("Required on every /v1 route when FF_API_TOKEN is set (api.md §0.2)."));
        openAPI.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme("bearer"));
        components.addResponse(BAD_REQUEST, problem(
                "invalid_input, invalid_json: malformed JSON, wrong types, missing or unknown fields, out-of-range values"));
        components.addResponse(UNAUTHORIZED, problem("unauthorized: the bearer token is missing or wrong"));
        components.addResponse(NOT_FOUND, problem("not_found: no such resource (the body's 'entity' says which)"));
        components.addResponse(FENCE_CONFLICT, problem("The fence did not match (api.md §2.3); the first that applies of "
                + "execution_not_active (with public_state, terminal_outcome), lease_revoked, lease_expired, stale_lease"));
        components.addResponse(PAYLOAD_TOO_LARGE, problem("payload_too_large: the body is over the route's cap (limit_bytes)"));
        components.addResponse(UNSUPPORTED_MEDIA_TYPE, problem("unsupported_media_type: the body must be application/json"));
        components.addResponse(UNAVAILABLE, problem("unavailable: the database is unreachable or the replica is shutting "
                + "down; retryable, see Retry-After"));
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        openAPI.getPaths().getPathItems().forEach((path, item) -> {
            if (path.startsWith("/v1")) {
                operations(item).forEach(ApiDocs::addCommonProblems);
            }
        });
    }

    /** A problem+json response with the shared schema, for route-specific statuses too. */
    private static APIResponse problem(String description) {
        return OASFactory.createAPIResponse().description(description).content(OASFactory.createContent()
                .addMediaType(PROBLEM_JSON, OASFactory.createMediaType()
                        .schema(OASFactory.createSchema().ref(PROBLEM))));
    }

    private static void addCommonProblems(Operation operation) {
        APIResponses responses = operation.getResponses() == null ? OASFactory.createAPIResponses()
                : operation.getResponses();
        operation.setResponses(responses);
        // A route-specific error documented by its description only gets the problem body here.
        Map<String, APIResponse> documented = responses.getAPIResponses() == null ? Map.of() : responses.getAPIResponses();
        documented.forEach((status, response) -> {
            if (status.compareTo("400") >= 0 && response.getRef() == null && response.getContent() == null) {
                response.setContent(problem("").getContent());
            }
        });
        addIfAbsent(responses, "400", BAD_REQUEST);
        addIfAbsent(responses, "401", UNAUTHORIZED);
        if (operation.getRequestBody() != null) {
            addIfAbsent(responses, "413", PAYLOAD_TOO_LARGE);
            addIfAbsent(responses, "415", UNSUPPORTED_MEDIA_TYPE);
        }
        addIfAbsent(responses, "503", UNAVAILABLE);
    }

    private static void addIfAbsent(APIResponses responses, String status, String named) {
        if (!responses.hasAPIResponse(status)) {
            responses.addAPIResponse(status, OASFactory.createAPIResponse().ref(named));
        }
    }

    private static List<Operation> operations(PathItem item) {
        return item.getOperations() == null ? List.of() : new ArrayList<>(item.getOperations().values());
    }

    private static Schema problemSchema() {
        Schema kind = OASFactory.createSchema().addType(Schema.SchemaType.STRING)
                .description("Stable machine-readable code");
        for (ProblemKind k : ProblemKind.values()) {
            kind.addEnumeration(k.wire());
        }
        kind.addEnumeration("method_not_allowed");
        kind.addEnumeration("internal");
        return OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .description("RFC 9457 problem details (api.md §0.1); some kinds add fields such as entity, "
                        + "public_state, terminal_outcome, limit_bytes or field")
                .addProperty("type", OASFactory.createSchema().addType(Schema.SchemaType.STRING).format("uri"))
                .addProperty("title", OASFactory.createSchema().addType(Schema.SchemaType.STRING))
                .addProperty("status", OASFactory.createSchema().addType(Schema.SchemaType.INTEGER))
                .addProperty("detail", OASFactory.createSchema().addType(Schema.SchemaType.STRING))
                .addProperty("kind", kind)
                .addProperty("retryable", OASFactory.createSchema().addType(Schema.SchemaType.BOOLEAN))
                .required(List.of("type", "title", "status", "detail", "kind", "retryable"))
                .additionalPropertiesSchema(OASFactory.createSchema());
    }
}

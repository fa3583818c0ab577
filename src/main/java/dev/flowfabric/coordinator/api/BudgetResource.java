package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.flowfabric.coordinator.domain.Budget;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Wire;
import dev.flowfabric.coordinator.service.BudgetService;
import dev.flowfabric.coordinator.service.Stored;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/** Budgets (api.md §6). */
@Path("/v1/budgets")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Budgets", description = "Usage limits that hold bound executions back while exhausted")
public class BudgetResource {

    static final Pattern DIMENSION = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$");
    static final long MAX_AMOUNT = 1L << 53; // exact in every JSON number implementation

    private final BudgetService budgets;

    BudgetResource(BudgetService budgets) {
        this.budgets = budgets;
    }

    public record LimitBody(Long hard, Long soft) { }

    @Schema(name = "CreateBudgetRequest")
    public record CreateRequest(UUID budgetId, @Schema(enumeration = {"flow", "namespace", "execution"}) String scope,
                                @Schema(description = "The flow or execution id, or the namespace") String scopeId,
                                Map<String, LimitBody> limits, Long resetIntervalMs) { }

    public record UsageRequest(Map<String, Long> usage, String dedupKey, UUID executionId) { }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LimitView(Long hard, Long soft) { }

    public record BudgetView(UUID budgetId, @Schema(enumeration = {"flow", "namespace", "execution"}) String scope,
                             String scopeId, Map<String, LimitView> limits,
                             long resetIntervalMs, Map<String, Long> usage, long breachCount, long softBreachCount,
                             Long nextResetAtMs, boolean exhausted, Long lastBreachAtMs, String lastBreachDimension,
                             Long lastResetAtMs, long createdAtMs) {
        static BudgetView of(Budget b) {
            Map<String, LimitView> limits = new LinkedHashMap<>();
            b.limits().forEach((dim, l) -> limits.put(dim, new LimitView(l.hard(), l.soft())));
            return new BudgetView(b.budgetId(), b.scope(), b.scopeId(), limits, b.resetIntervalMs(), b.usage(),
                    b.breachCount(), b.softBreachCount(), b.nextResetAtMs(), b.exhausted(), b.lastBreachAtMs(),
                    b.lastBreachDimension(), b.lastResetAtMs(), b.createdAtMs());
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record UsageResponse(@Schema(enumeration = {"ok", "soft_breach", "hard_breach", "duplicate"}) String outcome,
                                String dimension, Long usage) { }

    @POST
    @Operation(summary = "Create a budget for a flow, a namespace or an execution (api.md §6)")
    @APIResponse(responseCode = "201", description = "Created; Location names it",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BudgetView.class)))
    @APIResponse(responseCode = "200", description = "This budget_id exists already with the same scope: that budget",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BudgetView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (scope, scope_id, dimensions, amounts), invalid_json, "
            + "invalid_policy (a limit without hard or soft, or soft above hard)")
    @APIResponse(responseCode = "409", description = "idempotency_conflict: the budget_id exists with another scope")
    public Uni<Response> create(CreateRequest body) {
        CreateRequest b = Check.body(body);
        Budget.Scope scope;
        try {
            scope = Wire.parse(Budget.Scope.class, Check.present(b.scope(), "scope"));
        } catch (IllegalArgumentException e) {
            throw Problem.invalid("field 'scope' must be execution, flow or namespace");
        }
        String scopeId = scope == Budget.Scope.NAMESPACE ? Check.text(b.scopeId(), "scope_id", 1, 128)
                : Check.uuid(Check.present(b.scopeId(), "scope_id"), "scope_id").toString();
        Map<String, LimitBody> raw = Check.present(b.limits(), "limits");
        if (raw.isEmpty() || raw.size() > 64) {
            throw Problem.invalid("field 'limits' must hold 1..64 dimensions");
        }
        Map<String, Budget.Limit> limits = new TreeMap<>();
        raw.forEach((dim, l) -> limits.put(dimension(dim, "limits"), limit(dim, l)));
        long reset = b.resetIntervalMs() == null ? 0
                : Check.range(b.resetIntervalMs(), "reset_interval_ms", 0, 366L * 24 * 3600 * 1000);
        return budgets.create(new BudgetService.NewBudget(b.budgetId(), scope, scopeId, limits, reset))
                .map(BudgetResource::response);
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a budget: limits, usage, breach counts and next reset (api.md §6)")
    @APIResponse(responseCode = "200", description = "The budget",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BudgetView.class)))
    @APIResponse(responseCode = "404", description = "not_found: no such budget (entity budget)")
    public Uni<BudgetView> get(@PathParam("id") String id) {
        return budgets.get(Check.uuid(id, "budget id")).map(BudgetView::of);
    }

    @POST
    @Path("/{id}/usage")
    @Operation(summary = "Report usage: all increments apply, or none when one would pass a hard limit (api.md §6)")
    @APIResponse(responseCode = "200", description = "ok, soft_breach, hard_breach (nothing applied; with the dimension "
            + "and its usage), or duplicate (this dedup_key was seen: the first answer)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = UsageResponse.class)))
    @APIResponse(responseCode = "404", description = "not_found: no such budget (entity budget)")
    public Uni<UsageResponse> usage(@PathParam("id") String id, UsageRequest body) {
        UUID budgetId = Check.uuid(id, "budget id");
        UsageRequest b = Check.body(body);
        Map<String, Long> raw = Check.present(b.usage(), "usage");
        if (raw.isEmpty() || raw.size() > 64) {
            throw Problem.invalid("field 'usage' must hold 1..64 dimensions");
        }
        Map<String, Long> usage = new TreeMap<>();
        raw.forEach((dim, n) -> usage.put(dimension(dim, "usage"), Check.range(n, "usage." + dim, 0, MAX_AMOUNT)));
        String dedupKey = Check.optionalText(b.dedupKey(), "dedup_key", 1, 256);
        return budgets.report(budgetId, usage, dedupKey, b.executionId())
                .map(o -> new UsageResponse(o.outcome(), o.dimension(), o.usage()));
    }

    @POST
    @Path("/{id}/reset")
    @Operation(summary = "Reset usage to zero; executions it held back become claimable (api.md §6)")
    @APIResponse(responseCode = "200", description = "The budget after the reset",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BudgetView.class)))
    @APIResponse(responseCode = "404", description = "not_found: no such budget (entity budget)")
    public Uni<BudgetView> reset(@PathParam("id") String id,
                                 @RequestBody(required = false, description = "None, or {}") Empty body) {
        return budgets.reset(Check.uuid(id, "budget id")).map(BudgetView::of);
    }

    private static Response response(Stored<Budget> stored) {
        BudgetView view = BudgetView.of(stored.value());
        return stored.created()
                ? Response.created(URI.create("/v1/budgets/" + view.budgetId())).entity(view).build()
                : Response.ok(view).build();
    }

    private static String dimension(String name, String field) {
        if (name == null || !DIMENSION.matcher(name).matches()) {
            throw Problem.invalid("each dimension of '" + field + "' must match " + DIMENSION.pattern());
        }
        return name;
    }

    private static Budget.Limit limit(String dim, LimitBody l) {
        if (l == null || (l.hard() == null && l.soft() == null)) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, "limits." + dim + " needs 'hard', 'soft' or both");
        }
        Long hard = l.hard() == null ? null : Check.range(l.hard(), "limits." + dim + ".hard", 1, MAX_AMOUNT);
        Long soft = l.soft() == null ? null : Check.range(l.soft(), "limits." + dim + ".soft", 0, MAX_AMOUNT);
        if (hard != null && soft != null && soft > hard) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, "limits." + dim + ": soft must not exceed hard");
        }
        return new Budget.Limit(hard, soft);
    }
}

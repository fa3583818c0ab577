package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.api.SuspensionBodies.RotateKeyRequest;
import dev.flowfabric.coordinator.service.WaitpointKeys;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Waitpoint key rotation (api.md §4). */
@Path("/v1/admin/waitpoint-keys")
@Tag(name = "Suspension")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class WaitpointKeyResource {

    private final WaitpointKeys keys;

    WaitpointKeyResource(WaitpointKeys keys) {
        this.keys = keys;
    }

    public record Rotated(String kid, String previousKid, Long previousValidUntilMs) { }

    @POST
    @Operation(summary = "Rotate the waitpoint signing key; the previous one verifies for the grace period (api.md §4)")
    @APIResponse(responseCode = "200", description = "The new signing kid, and until when the previous one verifies",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Rotated.class)))
    @APIResponse(responseCode = "409", description = "idempotency_conflict: the kid exists with another secret, "
            + "or was rotated away already")
    public Uni<Rotated> rotate(RotateKeyRequest body) {
        RotateKeyRequest b = Check.body(body);
        return keys.rotate(b.kid(), b.secretHex())
                .map(r -> new Rotated(r.kid(), r.previousKid(), r.previousValidUntilMs()));
    }
}

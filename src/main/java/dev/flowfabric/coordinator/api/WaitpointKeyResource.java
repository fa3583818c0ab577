package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.api.SuspensionBodies.RotateKeyRequest;
import dev.flowfabric.coordinator.service.WaitpointKeys;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** Waitpoint key rotation (api.md §4). */
@Path("/v1/admin/waitpoint-keys")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class WaitpointKeyResource {

    private final WaitpointKeys keys;

    WaitpointKeyResource(WaitpointKeys keys) {
        this.keys = keys;
    }

    public record Rotated(String kid, String previousKid, Long previousValidUntilMs) { }

    @POST
    public Uni<Rotated> rotate(RotateKeyRequest body) {
        RotateKeyRequest b = Check.body(body);
        return keys.rotate(b.kid(), b.secretHex())
                .map(r -> new Rotated(r.kid(), r.previousKid(), r.previousValidUntilMs()));
    }
}

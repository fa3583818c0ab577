package dev.flowfabric.coordinator.store;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Reads of waitpoints through the Panache read model. */
@ApplicationScoped
public class SuspensionReads {

    /** A waitpoint as listed (no token: tokens are only handed to the lease holder). */
    public record Waitpoint(UUID waitpointId, String key, String state, Long expiresAtMs, long createdAtMs) { }

    /** Position after which the next page starts (oldest first). */
    public record After(long createdAtMs, UUID waitpointId) { }

    public record Page(List<Waitpoint> waitpoints, After next) { }

    /** The execution's waitpoints oldest first; empty when the execution does not exist. */
    public Uni<Optional<Page>> waitpoints(UUID executionId, After after, int limit) {
        return Panache.withSession(() -> ExecCoreEntity.<ExecCoreEntity>find("executionId", executionId).firstResult()
                .chain(e -> {
                    if (e == null) {
                        return Uni.createFrom().item(Optional.<Page>empty());
                    }
                    String q = "executionId = :id"
                            + (after == null ? "" : " and (createdAtMs > :ac or (createdAtMs = :ac and waitpointId > :aw))")
                            + " order by createdAtMs, waitpointId";
                    Parameters p = Parameters.with("id", executionId);
                    if (after != null) {
                        p = p.and("ac", after.createdAtMs()).and("aw", after.waitpointId());
                    }
                    return WaitpointEntity.<WaitpointEntity>find(q, p).range(0, limit).list().map(rows -> {
                        List<Waitpoint> all = rows.stream().map(w -> new Waitpoint(w.waitpointId, w.key, w.state,
                                w.expiresAtMs, w.createdAtMs)).toList();
                        List<Waitpoint> page = all.size() > limit ? all.subList(0, limit) : all;
                        Waitpoint last = page.isEmpty() ? null : page.get(page.size() - 1);
                        After next = all.size() > limit ? new After(last.createdAtMs(), last.waitpointId()) : null;
                        return Optional.of(new Page(page, next));
                    });
                }));
    }
}

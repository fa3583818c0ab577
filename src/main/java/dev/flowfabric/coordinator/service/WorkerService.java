package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Worker;
import dev.flowfabric.coordinator.store.WorkerStore;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.List;

/**
 * The worker registry (api.md §2.1): for operators and liveness. Claims do not need it; a
 * registered worker's claims carry its instance id on their attempts like any other.
 */
@ApplicationScoped
public class WorkerService {

    private final Pool pool;
    private final WorkerStore store;
    private final Clock clock;

    WorkerService(Pool pool, WorkerStore store, Clock clock) {
        this.pool = pool;
        this.store = store;
        this.clock = clock;
    }

    /** A page of workers and the instance id to continue after (null on the last page). */
    public record Page(List<Worker> workers, String next, long now) { }

    /** Registers or refreshes; an instance id belongs to one worker_id for as long as it is registered. */
    public Uni<Stored<Worker>> register(Worker w) {
        long now = clock.millis();
        return store.register(pool, w, now).flatMap(done -> done.isPresent()
                ? Uni.createFrom().item(new Stored<>(done.get().worker(), done.get().created()))
                : store.workerIdOf(pool, w.workerInstanceId()).map(owner -> {
                    throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT, "worker_instance_id '"
                            + w.workerInstanceId() + "' is registered to worker_id '" + owner.orElse("?") + "'");
                }));
    }

    /** The new expiry; 404 when the instance is unknown or was swept (it must register again). */
    public Uni<Long> heartbeat(String instanceId) {
        return store.heartbeat(pool, instanceId, clock.millis())
                .map(next -> next.orElseThrow(() -> Problem.notFound("worker", instanceId)));
    }

    public Uni<Void> deregister(String instanceId) {
        return store.delete(pool, instanceId);
    }

    public Uni<Page> list(String namespace, String lane, String after, int limit) {
        long now = clock.millis();
        return store.list(pool, namespace, lane, after, limit + 1).map(rows -> rows.size() > limit
                ? new Page(rows.subList(0, limit), rows.get(limit - 1).workerInstanceId(), now)
                : new Page(rows, null, now));
    }
}

package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.store.QuotaStore;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Frees a quota concurrency slot in the transaction of every transition that ends a lease
 * (complete, fail, delay, suspend, cancel, revoke, expiry, timeout). Transitions without a quota
 * cost no query. It runs after the other hooks (lowest priority): it locks the policy row, and a
 * claim waiting for that row holds executions another hook might want to change.
 */
@ApplicationScoped
@Priority(Integer.MIN_VALUE)
public class QuotaRelease implements TransitionHook {

    private final QuotaStore quotas;

    QuotaRelease(QuotaStore quotas) {
        this.quotas = quotas;
    }

    @Override
    public Uni<Void> after(SqlClient tx, List<Transition> transitions, long now) {
        List<Short> partitions = new ArrayList<>();
        List<UUID> executions = new ArrayList<>();
        for (Transition t : transitions) {
            if (t.leaseEnded() && t.quotaPolicyId() != null) {
                partitions.add(t.partitionKey());
                executions.add(t.executionId());
            }
        }
        return executions.isEmpty() ? Uni.createFrom().voidItem() : quotas.release(tx, partitions, executions);
    }
}

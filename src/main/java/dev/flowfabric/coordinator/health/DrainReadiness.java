package dev.flowfabric.coordinator.health;

import dev.flowfabric.coordinator.service.WorkSignals;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready once the replica drains (graceful shutdown has begun): the load balancer stops sending
 * work here while in-flight requests finish.
 */
@Readiness
@ApplicationScoped
public class DrainReadiness implements HealthCheck {

    private final WorkSignals signals;

    DrainReadiness(WorkSignals signals) {
        this.signals = signals;
    }

    @Override
    public HealthCheckResponse call() {
        boolean draining = signals.closed();
        return HealthCheckResponse.named("lifecycle").status(!draining)
                .withData("state", draining ? "draining" : "serving").build();
    }
}

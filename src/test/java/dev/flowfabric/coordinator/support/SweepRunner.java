package dev.flowfabric.coordinator.support;

import dev.flowfabric.coordinator.sweep.DelayPromoterSweep;
import dev.flowfabric.coordinator.sweep.LeaseExpirySweep;
import dev.flowfabric.coordinator.sweep.TimeoutSweep;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.scheduler.Trigger;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.List;

/**
 * The sweeps, run once with a chosen {@code now}; and a way to hold a sweep's scheduled tick while a
 * test needs the state before that sweep ran.
 */
@ApplicationScoped
public class SweepRunner {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final LeaseExpirySweep leaseExpiry;
    private final DelayPromoterSweep delayPromoter;
    private final TimeoutSweep timeouts;
    private final Scheduler scheduler;

    SweepRunner(LeaseExpirySweep leaseExpiry, DelayPromoterSweep delayPromoter, TimeoutSweep timeouts,
           Scheduler scheduler) {
        this.leaseExpiry = leaseExpiry;
        this.delayPromoter = delayPromoter;
        this.timeouts = timeouts;
        this.scheduler = scheduler;
    }

    public int expireLeases(long now) {
        return leaseExpiry.sweepOnce(now).await().atMost(TIMEOUT);
    }

    public int promoteDelayed(long now) {
        return delayPromoter.sweepOnce(now).await().atMost(TIMEOUT);
    }

    public int timeOut(long now) {
        return timeouts.sweepOnce(now).await().atMost(TIMEOUT);
    }

    /** Pauses the scheduled ticks of one sweep class until the returned handle is closed. */
    public Paused pauseScheduled(Class<?> sweep) {
        List<String> ids = scheduler.getScheduledJobs().stream()
                .filter(t -> t.getMethodDescription() != null && t.getMethodDescription().contains(sweep.getName()))
                .map(Trigger::getId).toList();
        if (ids.isEmpty()) {
            throw new IllegalStateException("no scheduled job of " + sweep.getName());
        }
        ids.forEach(scheduler::pause);
        return () -> ids.forEach(scheduler::resume);
    }

    public interface Paused extends AutoCloseable {
        @Override
        void close();
    }
}

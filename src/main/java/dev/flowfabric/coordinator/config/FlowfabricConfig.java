package dev.flowfabric.coordinator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

/** Typed configuration under {@code flowfabric.*}; see the README's configuration table. */
@ConfigMapping(prefix = "flowfabric")
public interface FlowfabricConfig {

    /** Bearer token required on every /v1 route; unset means open. */
    Optional<String> apiToken();

    /** Number of partition keys (0..partitions-1). */
    @WithDefault("256")
    int partitions();

    Claim claim();

    Sweep sweep();

    Flow flow();

    Metrics metrics();

    interface Claim {
        /** Long-poll claims re-check this often even without a wake-up (the NOTIFY fallback). */
        @WithDefault("500")
        long pollIntervalMs();
    }

    interface Sweep {
        /** Rows one sweep transaction handles at most. */
        @WithDefault("500")
        int batchSize();

        /** Interval of the lease-expiry sweep (a Quarkus scheduler duration such as {@code 1s}). */
        @WithDefault("1s")
        String leaseExpiryEvery();

        /** Interval of the delayed/backoff promoter. */
        @WithDefault("1s")
        String delayPromoterEvery();

        /** Interval of the attempt-timeout and deadline sweep. */
        @WithDefault("1s")
        String timeoutEvery();
    }

    interface Flow {
        /** Interval of the flow repair sweep (edges a crash left pending, owed member cancels). */
        @WithDefault("15s")
        String repairEvery();

        /**
         * How long {@code POST /v1/flows/{id}/cancel?wait=true} keeps retrying members whose rows
         * are busy before it answers {@code partially_cancelled}.
         */
        @WithDefault("10000")
        long cancelWaitMs();
    }

    interface Metrics {
        /** How often each replica recounts {@code ff_queue_depth} (one grouped count over unfinished executions). */
        @WithDefault("15s")
        String queueDepthEvery();

        /** Distinct lanes that get their own {@code lane} label; later lanes share the label {@code _other}. */
        @WithDefault("100")
        int maxLanes();
    }
}

package dev.flowfabric.coordinator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
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

    Budget budget();

    Events events();

    Waitpoint waitpoint();

    Stream stream();

    Retention retention();

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

        /** Interval of the suspension-timeout and pending-waitpoint-expiry sweep. */
        @WithDefault("1s")
        String suspensionEvery();

        /** Interval of the worker registry TTL sweep. */
        @WithDefault("5s")
        String workerEvery();

        /** Interval of the budget sweep (due resets, expired dedup keys). */
        @WithDefault("5s")
        String budgetEvery();
    }

    interface Waitpoint {
        /** How long a key rotated away keeps verifying the tokens it signed. */
        @WithDefault("24h")
        Duration grace();

        /**
         * Token secrets, {@code kid=hex[,kid=hex...]} (hex of at least 32 bytes), added to the shared
         * key table at boot. One property, so one environment variable or Kubernetes secret holds them.
         */
        Optional<String> secrets();

        /** The configured key id that signs; needed only when several secrets are configured. */
        Optional<String> activeKid();
    }

    interface Stream {
        /** Concurrent SSE tails one replica serves; more get 429 resource_exhausted. */
        @WithDefault("256")
        int maxTails();

        /** Best-effort frames kept per attempt; older ones are trimmed (durable ones never are). */
        @WithDefault("1000")
        int bestEffortKeep();

        /** A tail re-reads this often without a wake-up (the NOTIFY fallback). */
        @WithDefault("2000")
        long tailRecheckMs();
    }

    interface Budget {
        /** How long a usage report's dedup_key is remembered. */
        @WithDefault("86400000")
        long dedupTtlMs();
    }

    interface Events {
        /** SSE streams re-read the log this often when no LISTEN/NOTIFY wake-up arrives. */
        @WithDefault("1000")
        long pollIntervalMs();

        /** How long an event read waits for transactions that may still commit earlier ids. */
        @WithDefault("2000")
        long horizonWaitMs();

        Relay relay();

        interface Relay {
            /** Publish the event log to the {@code flowfabric-events} channel. */
            @WithDefault("true")
            boolean enabled();

            /** Interval of the outbox relay. */
            @WithDefault("1s")
            String every();

            /** Events one relay round publishes at most before it records its progress. */
            @WithDefault("500")
            int batchSize();

            /** The relay lease: another replica takes over when the holder stops renewing it. */
            @WithDefault("15000")
            long leaseMs();

            /** How long the relay waits for the connector to acknowledge a batch. */
            @WithDefault("10000")
            long ackTimeoutMs();
        }
    }

    interface Retention {
        /** Run the retention sweep; {@code false} keeps every row forever. */
        @WithDefault("true")
        boolean enabled();

        /** Interval of the retention sweep. */
        @WithDefault("1h")
        String every();

        /**
         * Terminal executions whose end is older than this are deleted with every row kept for them;
         * flow members only once their flow ended and every member is this old, together with the flow.
         */
        @WithDefault("7d")
        Duration executionsAfter();

        /** Events older than this are deleted once the outbox relay published them. */
        @WithDefault("7d")
        Duration eventsAfter();
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

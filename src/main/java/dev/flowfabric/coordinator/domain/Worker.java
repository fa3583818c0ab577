package dev.flowfabric.coordinator.domain;

import java.util.List;

/** A registered worker process (api.md §2.1); {@code alive} until it misses its liveness TTL. */
public record Worker(String workerId, String workerInstanceId, String namespace, List<String> lanes,
                     List<String> capabilities, long livenessTtlMs, long registeredAtMs, long lastHeartbeatMs,
                     long expiresAtMs) {

    public boolean alive(long now) {
        return expiresAtMs > now;
    }
}

package dev.flowfabric.coordinator.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.inject.Singleton;

/** Gives the HTTP server timer fixed buckets, so p95 latency by route can be read in Prometheus. */
@Singleton
public class HttpHistograms implements MeterFilter {

    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (!id.getName().equals("http.server.requests")) {
            return config;
        }
        double[] buckets = new double[FlowMetrics.LATENCY_BUCKETS.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = FlowMetrics.LATENCY_BUCKETS[i].toNanos();
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(buckets).build().merge(config);
    }
}

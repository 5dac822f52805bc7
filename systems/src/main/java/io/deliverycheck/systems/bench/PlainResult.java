package io.deliverycheck.systems.bench;

/**
 * What a system's plain client (no recording, no harness) achieved in {@code bench systems}.
 *
 * @param acceptedPerS messages the system accepted per second (every publish of the message confirmed)
 * @param deliveredPerS deliveries (message, device) consumed and acknowledged per second
 * @param p50Ms median publish-to-delivery latency
 * @param p99Ms 99th percentile publish-to-delivery latency
 * @param samples latency samples
 */
public record PlainResult(double acceptedPerS, double deliveredPerS, double p50Ms, double p99Ms, long samples) {
}

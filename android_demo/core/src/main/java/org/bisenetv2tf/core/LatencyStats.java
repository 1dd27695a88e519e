package org.bisenetv2tf.core;

import java.util.Arrays;

/**
 * Rolling latency statistics over the last {@code window} frames: median and p90 latency
 * (numpy's default linear-interpolation percentile) and throughput in frames per second
 * from the frames' completion times. Thread-safe.
 */
public final class LatencyStats {
    /**
     * The statistics at one moment: from {@link #summary()} a new object, from
     * {@link #summary(Summary)} one the caller reuses (written only by this class).
     */
    public static final class Summary {
        public int count;
        public double meanMs;
        public double medianMs;
        public double p90Ms;
        /** Frames per second from completion timestamps; 0 with fewer than two frames. */
        public double fps;

        public Summary() {
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.US, "%.1f ms median, %.1f ms p90, %.1f FPS (%d frames)",
                    medianMs, p90Ms, fps, count);
        }
    }

    private final double[] latencies;
    private final long[] timestamps;
    private final double[] sorted;
    private int next;
    private int count;

    public LatencyStats(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, got " + window);
        }
        latencies = new double[window];
        timestamps = new long[window];
        sorted = new double[window];
    }

    /** Records one frame: its latency and the time (nanoseconds, any monotonic clock) it finished. */
    public synchronized void add(double latencyMs, long finishedNanos) {
        if (Double.isNaN(latencyMs) || latencyMs < 0) {
            throw new IllegalArgumentException("latency must be >= 0, got " + latencyMs);
        }
        latencies[next] = latencyMs;
        timestamps[next] = finishedNanos;
        next = (next + 1) % latencies.length;
        count = Math.min(count + 1, latencies.length);
    }

    public synchronized void clear() {
        next = 0;
        count = 0;
    }

    public synchronized int count() {
        return count;
    }

    public Summary summary() {
        return summary(new Summary());
    }

    /** Writes the statistics into {@code into} (no allocation) and returns it. */
    public synchronized Summary summary(Summary into) {
        into.count = count;
        if (count == 0) {
            into.meanMs = 0;
            into.medianMs = 0;
            into.p90Ms = 0;
            into.fps = 0;
            return into;
        }
        double sum = 0;
        int oldest = (next - count + latencies.length) % latencies.length;
        for (int i = 0; i < count; i++) {
            sorted[i] = latencies[(oldest + i) % latencies.length];
            sum += sorted[i];
        }
        long first = timestamps[oldest];
        long last = timestamps[(next - 1 + latencies.length) % latencies.length];
        Arrays.sort(sorted, 0, count);
        into.meanMs = sum / count;
        into.medianMs = percentile(sorted, count, 50);
        into.p90Ms = percentile(sorted, count, 90);
        into.fps = count >= 2 && last > first ? (count - 1) * 1e9 / (last - first) : 0.0;
        return into;
    }

    /** Linear-interpolation percentile of sorted values (numpy.percentile's default method). */
    public static double percentile(double[] sorted, double p) {
        return percentile(sorted, sorted.length, p);
    }

    /** {@link #percentile(double[], double)} of the first {@code n} values. */
    public static double percentile(double[] sorted, int n, double p) {
        if (n == 0) {
            throw new IllegalArgumentException("no values");
        }
        if (p < 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
        }
        double pos = p / 100.0 * (n - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, n - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

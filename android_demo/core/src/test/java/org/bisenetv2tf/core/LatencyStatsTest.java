package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class LatencyStatsTest {
    @Test
    public void percentilesMatchNumpy() {
        double[] oneToTen = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5.5, LatencyStats.percentile(oneToTen, 50), 1e-12); // np.percentile(range(1, 11), 50)
        assertEquals(9.1, LatencyStats.percentile(oneToTen, 90), 1e-12);
        assertEquals(1.0, LatencyStats.percentile(oneToTen, 0), 0);
        assertEquals(10.0, LatencyStats.percentile(oneToTen, 100), 0);
        assertEquals(2.8, LatencyStats.percentile(new double[] {1, 2, 3}, 90), 1e-12);
        assertEquals(5.0, LatencyStats.percentile(new double[] {5}, 90), 0);
    }

    @Test
    public void summaryOverWindow() {
        LatencyStats stats = new LatencyStats(4);
        assertEquals(0, stats.summary().count);
        assertEquals(0.0, stats.summary().fps, 0);
        long t = 1_000_000_000L;
        double[] lat = {100, 3, 1, 2, 4};
        for (int i = 0; i < lat.length; i++) {
            stats.add(lat[i], t + i * 50_000_000L); // a frame every 50 ms
        }
        LatencyStats.Summary s = stats.summary();
        assertEquals(4, s.count); // the 100 ms frame fell out of the window
        assertEquals(2.5, s.medianMs, 1e-12);
        assertEquals(3.7, s.p90Ms, 1e-12);
        assertEquals(2.5, s.meanMs, 1e-12);
        assertEquals(20.0, s.fps, 1e-9); // 3 intervals over 150 ms
        assertEquals("2.5 ms median, 3.7 ms p90, 20.0 FPS (4 frames)", s.toString());
    }

    @Test
    public void singleFrameHasNoFps() {
        LatencyStats stats = new LatencyStats(10);
        stats.add(12.5, 42);
        assertEquals(12.5, stats.summary().medianMs, 0);
        assertEquals(0.0, stats.summary().fps, 0);
        stats.clear();
        assertEquals(0, stats.count());
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsNegativeLatency() {
        new LatencyStats(3).add(-1, 0);
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsEmptyWindow() {
        new LatencyStats(0);
    }

    @Test
    public void summaryIntoAReusedObjectMatchesANewOne() {
        LatencyStats stats = new LatencyStats(4);
        LatencyStats.Summary reused = new LatencyStats.Summary();
        assertEquals(0, stats.summary(reused).count);
        for (int i = 0; i < 9; i++) {
            stats.add(10 - i, i * 50_000_000L);
            LatencyStats.Summary fresh = stats.summary();
            assertEquals(reused, stats.summary(reused));
            assertEquals(fresh.toString(), reused.toString());
            assertEquals(fresh.meanMs, reused.meanMs, 0);
        }
        stats.clear();
        assertEquals(0.0, stats.summary(reused).medianMs, 0);
        assertEquals(0, reused.count);
    }
}

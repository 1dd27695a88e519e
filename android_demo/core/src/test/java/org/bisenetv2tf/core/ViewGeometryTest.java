package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;

import org.junit.Test;

public class ViewGeometryTest {
    @Test
    public void fitCenterLetterboxesInTheView() {
        // 480x640 portrait frame in a 1080x1920 view: scale 2.25 -> 1080x1440, centred vertically
        assertArrayEquals(new float[] {0f, 240f, 1080f, 1680f}, ViewGeometry.fitCenter(480, 640, 1080, 1920), 1e-3f);
        // landscape frame in a square view
        assertArrayEquals(new float[] {0f, 25f, 100f, 75f}, ViewGeometry.fitCenter(200, 100, 100, 100), 1e-4f);
    }

    @Test
    public void fillCenterCropsTheOverflow() {
        // 480x640 in 1080x1920: scale 3 -> 1440x1920, 180 px cropped each side
        assertArrayEquals(new float[] {-180f, 0f, 1260f, 1920f}, ViewGeometry.fillCenter(480, 640, 1080, 1920), 1e-3f);
    }
}

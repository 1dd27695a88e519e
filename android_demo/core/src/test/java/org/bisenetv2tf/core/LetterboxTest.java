package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class LetterboxTest {
    /** {h, w, H, W, rh, rw} from bisenetv2_tf.runtime.metadata.letterbox_geometry (Python). */
    private static final int[][] PYTHON = {
        {5, 8, 4, 4, 2, 4},       // round(2.5) == 2: Python rounds half to even
        {7, 8, 4, 4, 4, 4},       // round(3.5) == 4
        {360, 480, 384, 480, 360, 480}, // r == 1: no resize, padding rows below
        {480, 640, 384, 480, 360, 480},
        {640, 480, 384, 480, 384, 288}, // portrait frame
        {150, 200, 128, 160, 120, 160},
        {300, 180, 128, 160, 128, 77},
        {128, 100, 128, 160, 128, 100},
        {1, 1000, 64, 64, 1, 64},  // clamped to at least 1
        {1000, 1, 64, 64, 64, 1},
        {3, 3, 384, 480, 384, 384}, // upscale
        {100, 100, 100, 100, 100, 100},
        {333, 517, 256, 320, 206, 320},
    };

    @Test
    public void geometryMatchesPython() {
        for (int[] c : PYTHON) {
            Letterbox lb = Letterbox.of(c[0], c[1], c[2], c[3]);
            assertEquals(lb.toString(), c[4], lb.resizedHeight);
            assertEquals(lb.toString(), c[5], lb.resizedWidth);
        }
        assertEquals(0.4266666666666667, Letterbox.of(300, 180, 128, 160).scale, 0.0);
        assertEquals(0.6189555125725339, Letterbox.of(333, 517, 256, 320).scale, 0.0);
        assertFalse(Letterbox.of(360, 480, 384, 480).resizes());
        assertTrue(Letterbox.of(480, 640, 384, 480).resizes());
    }

    @Test
    public void resizedRegionFitsAndTouchesOneSide() {
        for (int h = 1; h <= 60; h += 7) {
            for (int w = 1; w <= 60; w += 5) {
                Letterbox lb = Letterbox.of(h, w, 32, 48);
                assertTrue(lb.resizedHeight >= 1 && lb.resizedHeight <= 32);
                assertTrue(lb.resizedWidth >= 1 && lb.resizedWidth <= 48);
                assertTrue(lb.toString(), lb.resizedHeight == 32 || lb.resizedWidth == 48);
            }
        }
    }

    @Test
    public void identityWhenNoResize() {
        Letterbox lb = Letterbox.of(360, 480, 384, 480);
        for (int y = 0; y < 360; y++) {
            assertEquals(y, lb.sourceRow(y));
        }
        for (int x = 0; x < 480; x++) {
            assertEquals(x, lb.sourceCol(x));
        }
        assertTrue(lb.isValid(479, 359));
        assertFalse(lb.isValid(0, 360));
    }

    @Test
    public void inverseMappingIsNearestPixelCentre() {
        int[][] sizes = {{150, 200}, {300, 180}, {37, 91}, {640, 480}, {3, 3}, {1, 1000}};
        for (int[] s : sizes) {
            Letterbox lb = Letterbox.of(s[0], s[1], 128, 160);
            int prev = -1;
            for (int y = 0; y < lb.imageHeight; y++) {
                int r = lb.sourceRow(y);
                assertTrue(r >= 0 && r < lb.resizedHeight);
                assertTrue("monotonic", r >= prev);
                prev = r;
                // the source centre is within half a resized pixel of the image pixel's centre
                double centre = lb.imageToInputY(y + 0.5);
                assertTrue(lb + " y=" + y, Math.abs(centre - (r + 0.5)) <= 0.5 + 1e-9);
            }
            for (int x = 0; x < lb.imageWidth; x++) {
                int c = lb.sourceCol(x);
                assertTrue(c >= 0 && c < lb.resizedWidth);
                assertTrue(Math.abs(lb.imageToInputX(x + 0.5) - (c + 0.5)) <= 0.5 + 1e-9);
            }
            // downscaling hits every resized row and column
            if (lb.resizedHeight <= lb.imageHeight) {
                boolean[] hit = new boolean[lb.resizedHeight];
                for (int y = 0; y < lb.imageHeight; y++) {
                    hit[lb.sourceRow(y)] = true;
                }
                for (boolean b : hit) {
                    assertTrue(lb.toString(), b);
                }
            }
        }
    }

    @Test
    public void continuousCoordinatesRoundTrip() {
        Letterbox lb = Letterbox.of(333, 517, 256, 320);
        double[] xs = {0, 0.5, 100.25, 516.9, 517};
        for (double x : xs) {
            assertEquals(x, lb.inputToImageX(lb.imageToInputX(x)), 1e-9);
            assertEquals(x * 333 / 517, lb.inputToImageY(lb.imageToInputY(x * 333 / 517)), 1e-9);
        }
        // the valid region's far corner is the image's far corner
        assertEquals(517.0, lb.inputToImageX(lb.resizedWidth), 1e-9);
        assertEquals(333.0, lb.inputToImageY(lb.resizedHeight), 1e-9);
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsEmptyImages() {
        Letterbox.of(0, 10, 32, 32);
    }
}

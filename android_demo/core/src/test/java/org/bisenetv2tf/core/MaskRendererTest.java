package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class MaskRendererTest {
    private static final int[] COLORS = {0x808080, 0x800000, 0x3C28DE};

    @Test
    public void blendChannelRoundsHalfUp() {
        assertEquals(200, MaskRenderer.blendChannel(100, 200, 0));
        assertEquals(100, MaskRenderer.blendChannel(100, 200, 255));
        // (255*128 + 0*127 + 127) / 255 = 128.498 -> 128
        assertEquals(128, MaskRenderer.blendChannel(255, 0, 128));
        // (0*128 + 255*127 + 127) / 255 = 127.498 -> 127
        assertEquals(127, MaskRenderer.blendChannel(0, 255, 128));
        // (1*1 + 0*254 + 127) / 255 = 0.50 -> 0 ; (128*1 + 127) / 255 = 1
        assertEquals(0, MaskRenderer.blendChannel(1, 0, 1));
        assertEquals(1, MaskRenderer.blendChannel(128, 0, 1));
        for (int a = 0; a <= 255; a += 17) {
            for (int c = 0; c <= 255; c += 51) {
                for (int p = 0; p <= 255; p += 85) {
                    double exact = (c * a + p * (255.0 - a)) / 255.0;
                    assertEquals(exact, MaskRenderer.blendChannel(c, p, a), 0.5 + 1e-9);
                }
            }
        }
    }

    @Test
    public void blendColoursKnownClassesOnly() {
        int[] image = {0xFF102030, 0x00FFFFFF, 0xFF000000, 0xFF0A0B0C};
        int[] classes = {0, 1, 2, 11}; // 11 = ignore index: left as is
        int[] out = MaskRenderer.blend(image, classes, COLORS, 128);
        int[] expected = new int[4];
        for (int i = 0; i < 3; i++) {
            int c = COLORS[classes[i]];
            int p = image[i];
            expected[i] = 0xFF000000
                    | MaskRenderer.blendChannel((c >> 16) & 255, (p >> 16) & 255, 128) << 16
                    | MaskRenderer.blendChannel((c >> 8) & 255, (p >> 8) & 255, 128) << 8
                    | MaskRenderer.blendChannel(c & 255, p & 255, 128);
        }
        expected[3] = 0xFF0A0B0C;
        assertArrayEquals(expected, out);
        // pixel 0 by hand: R (128*128 + 16*127 + 127)/255 = 72, G (128*128+32*127+127)/255 = 80, B = (128*128+48*127+127)/255 = 88
        assertEquals(0xFF485058, out[0]);
    }

    @Test
    public void colorTableAndValidRegionMask() {
        int[] table = MaskRenderer.colorTable(COLORS, 0x99);
        assertArrayEquals(new int[] {0x99808080, 0x99800000, 0x993C28DE}, table);
        // a 2x3 image letterboxed into a 4x4 model: r = min(2, 1.333) -> 3x4 valid region (rh = round(2.667))
        Letterbox lb = Letterbox.of(2, 3, 4, 4);
        assertEquals(3, lb.resizedHeight);
        assertEquals(4, lb.resizedWidth);
        int[] map = {
            0, 1, 2, 7,
            1, 1, 0, 0,
            2, 2, 2, 2,
            0, 0, 0, 0}; // last row is padding
        int[] mask = MaskRenderer.validRegionMask(map, 4, lb, table, null);
        assertEquals(12, mask.length);
        assertArrayEquals(new int[] {table[0], table[1], table[2], 0, table[1], table[1], table[0], table[0],
            table[2], table[2], table[2], table[2]}, mask);
        assertArrayEquals(new int[] {3, 3, 5}, MaskRenderer.histogram(map, 4, lb, 3));
        assertArrayEquals(new int[] {7, 3, 5}, MaskRenderer.histogram(map, 16, 3)); // padding row counted here
    }

    @Test
    public void classMapToImageInvertsTheLetterbox() {
        // image 2x3 -> valid region 3x4 of a 4x4 map (upscale): rows 0,1 read ((2y+1)*3)/4 = 0, 2
        Letterbox lb = Letterbox.of(2, 3, 4, 4);
        int[] map = new int[16];
        for (int i = 0; i < 16; i++) {
            map[i] = i;
        }
        int[] img = MaskRenderer.classMapToImage(map, 4, lb);
        // columns: ((2x+1)*4)/6 = 0, 2, 3
        assertArrayEquals(new int[] {0, 2, 3, 8, 10, 11}, img);
    }

    @Test
    public void downscaledImageMapsBackToItsOwnPixels() {
        // Render a class map straight from image pixel positions, letterboxed by nearest sampling,
        // and check the inverse gives back every image pixel's own label when nothing was lost.
        Letterbox lb = Letterbox.of(8, 12, 16, 16); // upscale by 1.333 -> 11x16
        int[] map = new int[16 * 16];
        java.util.Arrays.fill(map, 99);
        for (int y = 0; y < lb.resizedHeight; y++) {
            for (int x = 0; x < lb.resizedWidth; x++) {
                int iy = (int) Math.floor(lb.inputToImageY(y + 0.5));
                int ix = (int) Math.floor(lb.inputToImageX(x + 0.5));
                map[y * 16 + x] = iy * 12 + ix;
            }
        }
        int[] back = MaskRenderer.classMapToImage(map, 16, lb);
        for (int i = 0; i < back.length; i++) {
            assertEquals(i, back[i]);
        }
    }

    @Test
    public void solidMaskIsOpaque() {
        assertArrayEquals(new int[] {0xFF3C28DE, 0xFF000000, 0xFF808080},
                MaskRenderer.solidMask(new int[] {2, 5, 0}, COLORS));
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsBadAlpha() {
        MaskRenderer.colorTable(COLORS, 256);
    }
}

package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class PilResizeTest {
    /** A 5x4 (w x h) RGB image from numpy.random.default_rng(7).integers(0, 256, (4, 5, 3)). */
    static final int[] SRC = {139, 74, 229, 241, 169, 65, 6, 160, 149, 106, 38, 175, 188, 205, 175, 229, 98, 249, 10,
        148, 95, 86, 147, 198, 66, 39, 106, 213, 171, 45, 167, 57, 69, 81, 55, 14, 153, 178, 215, 76, 52, 39, 250, 72,
        215, 50, 161, 223, 112, 172, 161, 233, 38, 17, 89, 1, 221, 6, 242, 127};

    /** Pillow 13 Image.resize((w, h), Image.BILINEAR) of SRC, as RGB bytes. */
    static final int[] TO_7x3 = {166, 81, 235, 169, 128, 143, 131, 161, 100, 30, 156, 164, 76, 72, 157, 137, 105, 146,
        195, 195, 136, 198, 78, 159, 111, 92, 100, 67, 119, 98, 120, 163, 207, 85, 79, 111, 140, 79, 97, 232, 122, 130,
        85, 130, 177, 95, 134, 143, 133, 121, 105, 209, 80, 76, 120, 34, 140, 82, 91, 160, 79, 191, 153};
    static final int[] TO_3x7 = {183, 115, 159, 80, 135, 136, 153, 133, 175, 166, 116, 168, 75, 131, 143, 152, 126,
        138, 138, 119, 181, 66, 124, 154, 150, 115, 78, 133, 88, 114, 93, 123, 143, 163, 89, 106, 126, 64, 56, 124, 119,
        128, 166, 68, 142, 96, 127, 142, 155, 83, 107, 90, 112, 157, 77, 166, 196, 174, 60, 94, 42, 139, 167};
    static final int[] TO_2x2 = {124, 122, 144, 120, 113, 135, 118, 109, 122, 121, 93, 134};
    static final int[] TO_5x9 = {139, 74, 229, 241, 169, 65, 6, 160, 149, 106, 38, 175, 188, 205, 175, 154, 78, 232,
        202, 165, 70, 19, 158, 157, 99, 38, 163, 192, 199, 153, 194, 89, 241, 100, 156, 83, 55, 152, 179, 82, 39, 133,
        203, 184, 96, 226, 96, 239, 14, 143, 90, 90, 149, 199, 67, 40, 102, 215, 165, 54, 198, 78, 159, 46, 102, 55,
        120, 163, 207, 71, 46, 73, 232, 122, 130, 170, 59, 79, 77, 60, 19, 149, 176, 214, 75, 51, 43, 248, 78, 206,
        122, 97, 129, 93, 100, 71, 184, 124, 138, 81, 32, 110, 155, 138, 181, 70, 144, 197, 107, 152, 136, 220, 61, 50,
        87, 10, 191, 47, 214, 142, 50, 161, 223, 112, 172, 161, 233, 38, 17, 89, 1, 221, 6, 242, 127};

    /**
     * Pillow 12 and older run the horizontal pass first here (5x4 -> 7x3 shrinks the height
     * by 1 > 2 * (5 - 7), which Pillow 13 runs vertical-first); values from the same fixed-point
     * arithmetic in that order, which differ from TO_7x3 in a few pixels.
     */
    static final int[] TO_7x3_HORIZONTAL_FIRST = {166, 81, 235, 169, 128, 143, 131, 161, 99, 30, 156, 164, 76, 72,
        157, 137, 106, 147, 195, 195, 136, 198, 78, 159, 111, 92, 100, 67, 119, 98, 120, 163, 207, 85, 79, 111, 140, 79,
        97, 232, 122, 130, 85, 130, 177, 95, 134, 143, 134, 121, 105, 209, 80, 76, 120, 35, 141, 82, 91, 161, 79, 191,
        153};

    static int[] argb(int[] rgb) {
        byte[] b = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            b[i] = (byte) rgb[i];
        }
        return ImageOps.rgbToArgb(b, rgb.length / 3);
    }

    static int[] rgb(int[] argb) {
        byte[] b = ImageOps.argbToRgb(argb, argb.length);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }

    @Test
    public void matchesPillowBitForBit() {
        int[] src = argb(SRC);
        assertArrayEquals("both axes, wider and shorter", TO_7x3, rgb(PilResize.resize(src, 5, 4, 7, 3)));
        assertArrayEquals("both axes, narrower and taller", TO_3x7, rgb(PilResize.resize(src, 5, 4, 3, 7)));
        assertArrayEquals("downscale both (antialiased)", TO_2x2, rgb(PilResize.resize(src, 5, 4, 2, 2)));
        assertArrayEquals("vertical pass only", TO_5x9, rgb(PilResize.resize(src, 5, 4, 5, 9)));
    }

    @Test
    public void passOrderFollowsThePillowVersion() {
        assertEquals(false, PilResize.horizontalFirst(5, 4, 7, 3, PilResize.Order.PILLOW_13));
        assertEquals(true, PilResize.horizontalFirst(5, 4, 7, 3, PilResize.Order.HORIZONTAL_FIRST));
        assertEquals(true, PilResize.horizontalFirst(640, 480, 480, 360, PilResize.Order.PILLOW_13)); // 120 > 320? no
        assertEquals(false, PilResize.horizontalFirst(100, 420, 91, 384, PilResize.Order.PILLOW_13)); // 36 > 18
        assertEquals(true, PilResize.horizontalFirst(100, 420, 91, 402, PilResize.Order.PILLOW_13)); // 18 > 18? no
        assertEquals(true, PilResize.horizontalFirst(10, 10, 10, 20, PilResize.Order.PILLOW_13)); // upscaling
        assertEquals(PilResize.Order.PILLOW_13, PilResize.Order.forPillowMajor(13));
        assertEquals(PilResize.Order.HORIZONTAL_FIRST, PilResize.Order.forPillowMajor(11));
        int[] old = rgb(PilResize.resize(argb(SRC), 5, 4, 7, 3, PilResize.Order.HORIZONTAL_FIRST));
        assertArrayEquals(TO_7x3_HORIZONTAL_FIRST, old);
        // orders that coincide give the same pixels
        assertArrayEquals(TO_3x7, rgb(PilResize.resize(argb(SRC), 5, 4, 3, 7, PilResize.Order.HORIZONTAL_FIRST)));
    }

    @Test
    public void sameSizeIsACopyAndOutputIsOpaque() {
        int[] src = argb(SRC);
        src[0] &= 0x00FFFFFF; // alpha is ignored
        int[] out = PilResize.resize(src, 5, 4, 5, 4);
        assertArrayEquals(SRC, rgb(out));
        for (int p : out) {
            assertEquals(0xFF, p >>> 24);
        }
    }

    @Test
    public void constantImageStaysConstant() {
        int[] flat = new int[37 * 23];
        java.util.Arrays.fill(flat, 0xFF7F3A05);
        int[][] sizes = {{5, 3}, {100, 61}, {37, 1}, {1, 23}, {200, 7}};
        for (int[] s : sizes) {
            for (int p : PilResize.resize(flat, 37, 23, s[0], s[1])) {
                assertEquals(0xFF7F3A05, p);
            }
        }
    }

    @Test
    public void coefficientsSumToOne() {
        int[][] cases = {{5, 7}, {480, 384}, {640, 288}, {3, 384}, {1000, 64}};
        for (int[] c : cases) {
            PilResize.Coefficients k = PilResize.coefficients(c[0], c[1]);
            for (int i = 0; i < c[1]; i++) {
                long sum = 0;
                for (int j = 0; j < k.ksize; j++) {
                    sum += k.weights[i * k.ksize + j];
                }
                // each weight rounds by at most half a unit
                assertEquals(1 << 22, sum, k.ksize);
                assertEquals(true, k.start[i] >= 0 && k.start[i] + k.count[i] <= c[0]);
            }
        }
    }
}

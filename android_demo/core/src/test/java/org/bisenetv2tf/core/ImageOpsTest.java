package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class ImageOpsTest {
    // 3 wide, 2 tall:
    //   1 2 3
    //   4 5 6
    private static final int[] SRC = {1, 2, 3, 4, 5, 6};

    @Test
    public void rotatesClockwise() {
        // 90 clockwise -> 2 wide, 3 tall:  4 1 / 5 2 / 6 3
        assertArrayEquals(new int[] {4, 1, 5, 2, 6, 3}, ImageOps.rotate(SRC, 3, 2, 90));
        assertArrayEquals(new int[] {6, 5, 4, 3, 2, 1}, ImageOps.rotate(SRC, 3, 2, 180));
        // 270 clockwise -> 3 6 / 2 5 / 1 4
        assertArrayEquals(new int[] {3, 6, 2, 5, 1, 4}, ImageOps.rotate(SRC, 3, 2, 270));
        assertArrayEquals(SRC, ImageOps.rotate(SRC, 3, 2, 0));
        assertArrayEquals(ImageOps.rotate(SRC, 3, 2, 270), ImageOps.rotate(SRC, 3, 2, -90));
        assertEquals(2, ImageOps.rotatedWidth(3, 2, 90));
        assertEquals(3, ImageOps.rotatedHeight(3, 2, 270));
        assertEquals(3, ImageOps.rotatedWidth(3, 2, 180));
    }

    @Test
    public void rotationsCompose() {
        int w = 7;
        int h = 5;
        int[] img = new int[w * h];
        for (int i = 0; i < img.length; i++) {
            img[i] = i * 31 + 7;
        }
        int[] r90 = ImageOps.rotate(img, w, h, 90);
        assertArrayEquals(img, ImageOps.rotate(r90, h, w, 270));
        int[] r180 = ImageOps.rotate(r90, h, w, 90);
        assertArrayEquals(ImageOps.rotate(img, w, h, 180), r180);
        assertArrayEquals(img, ImageOps.rotate(ImageOps.rotate(r180, w, h, 90), h, w, 90));
    }

    @Test
    public void rgbRoundTrip() {
        byte[] rgb = {(byte) 255, 0, 1, 17, (byte) 128, (byte) 254};
        int[] argb = ImageOps.rgbToArgb(rgb, 2);
        assertArrayEquals(new int[] {0xFFFF0001, 0xFF1180FE}, argb);
        assertArrayEquals(rgb, ImageOps.argbToRgb(argb, 2));
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsOddAngles() {
        ImageOps.rotate(SRC, 3, 2, 45);
    }

    @Test
    public void picturesDecodeAtMost1280PxASide() {
        // the old loop decoded a 2559 px picture whole: 2559 / 2 < 1280 kept inSampleSize 1
        assertEquals(1, ImageOps.decodeSampleSize(2559, 1000, 1280));
        assertArrayEquals(new int[] {1280, 500}, ImageOps.fitWithin(2559, 1000, 1280));
        // 4000x3000: decoded at 1/2 (2000x1500, still >= 1280), then scaled to 1280x960
        assertEquals(2, ImageOps.decodeSampleSize(4000, 3000, 1280));
        assertArrayEquals(new int[] {1280, 960}, ImageOps.fitWithin(2000, 1500, 1280));
        assertEquals(4, ImageOps.decodeSampleSize(3000, 6000, 1280));
        assertArrayEquals(new int[] {640, 1280}, ImageOps.fitWithin(1500, 3000, 1280));
        assertArrayEquals(new int[] {1280, 1280}, ImageOps.fitWithin(2560, 2560, 1280));
        assertArrayEquals("small pictures unchanged", new int[] {640, 480}, ImageOps.fitWithin(640, 480, 1280));
        assertEquals(1, ImageOps.decodeSampleSize(640, 480, 1280));
        assertArrayEquals("never 0 px", new int[] {1280, 1}, ImageOps.fitWithin(100000, 10, 1280));
        for (int w = 1; w < 6000; w += 97) {
            for (int h = 1; h < 6000; h += 89) {
                int s = ImageOps.decodeSampleSize(w, h, 1280);
                int[] f = ImageOps.fitWithin(w / s, h / s, 1280);
                assertEquals(w + "x" + h, Math.min(1280, Math.max(w / s, h / s)), Math.max(f[0], f[1]));
            }
        }
    }
}

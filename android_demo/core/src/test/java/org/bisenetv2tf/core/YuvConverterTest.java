package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import org.junit.Test;

public class YuvConverterTest {
    /** The float formula the fixed-point code implements. */
    static int reference(int y, int u, int v) {
        double uu = u - 128;
        double vv = v - 128;
        int r = (int) Math.floor(y + 1.402 * vv + 0.5);
        int g = (int) Math.floor(y - 0.344136 * uu - 0.714136 * vv + 0.5);
        int b = (int) Math.floor(y + 1.772 * uu + 0.5);
        return 0xFF000000 | (c(r) << 16) | (c(g) << 8) | c(b);
    }

    static int c(int x) {
        return Math.max(0, Math.min(255, x));
    }

    static int channelDiff(int a, int b) {
        int d = 0;
        for (int s = 0; s <= 16; s += 8) {
            d = Math.max(d, Math.abs(((a >> s) & 0xFF) - ((b >> s) & 0xFF)));
        }
        return d;
    }

    @Test
    public void greyAndPrimariesMatchTheFormula() {
        int[][] yuv = {{128, 128, 128}, {0, 128, 128}, {255, 128, 128}, {76, 85, 255}, {150, 44, 21},
            {29, 255, 107}, {255, 0, 0}, {0, 255, 255}};
        for (int[] p : yuv) {
            int[] out = new int[1];
            YuvConverter.toArgb(ByteBuffer.wrap(new byte[] {(byte) p[0]}), 1, 1,
                    ByteBuffer.wrap(new byte[] {(byte) p[1]}), ByteBuffer.wrap(new byte[] {(byte) p[2]}), 1, 1,
                    1, 1, out);
            assertTrue(channelDiff(reference(p[0], p[1], p[2]), out[0]) <= 1);
        }
        int[] out = new int[1];
        YuvConverter.toArgb(ByteBuffer.wrap(new byte[] {(byte) 128}), 1, 1,
                ByteBuffer.wrap(new byte[] {(byte) 128}), ByteBuffer.wrap(new byte[] {(byte) 128}), 1, 1, 1, 1, out);
        assertEquals(0xFF808080, out[0]);
    }

    @Test
    public void planarAndSemiPlanarWithPaddedRowsGiveTheSameImage() {
        int w = 6;
        int h = 4;
        int[] ys = new int[w * h];
        int[] us = new int[(w / 2) * (h / 2)];
        int[] vs = new int[us.length];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = (i * 37 + 11) & 0xFF;
        }
        for (int i = 0; i < us.length; i++) {
            us[i] = (i * 53 + 90) & 0xFF;
            vs[i] = (i * 29 + 170) & 0xFF;
        }
        // I420: tight planes
        byte[] y1 = new byte[w * h];
        byte[] u1 = new byte[us.length];
        byte[] v1 = new byte[vs.length];
        for (int i = 0; i < ys.length; i++) {
            y1[i] = (byte) ys[i];
        }
        for (int i = 0; i < us.length; i++) {
            u1[i] = (byte) us[i];
            v1[i] = (byte) vs[i];
        }
        int[] a = new int[w * h];
        YuvConverter.toArgb(ByteBuffer.wrap(y1), w, 1, ByteBuffer.wrap(u1), ByteBuffer.wrap(v1), w / 2, 1, w, h, a);
        // NV21 as camera2 exposes it: Y rows padded to 8, one VU-interleaved buffer, U plane = V plane + 1
        int yStride = 8;
        int uvStride = 8;
        byte[] y2 = new byte[yStride * h];
        for (int r = 0; r < h; r++) {
            for (int x = 0; x < w; x++) {
                y2[r * yStride + x] = (byte) ys[r * w + x];
            }
        }
        byte[] vu = new byte[uvStride * (h / 2)];
        for (int r = 0; r < h / 2; r++) {
            for (int x = 0; x < w / 2; x++) {
                vu[r * uvStride + 2 * x] = (byte) vs[r * (w / 2) + x];
                vu[r * uvStride + 2 * x + 1] = (byte) us[r * (w / 2) + x];
            }
        }
        ByteBuffer vPlane = ByteBuffer.wrap(vu);
        ByteBuffer uPlane = ByteBuffer.wrap(vu);
        uPlane.position(1);
        int[] b = new int[w * h];
        YuvConverter.toArgb(ByteBuffer.wrap(y2), yStride, 1, uPlane, vPlane, uvStride, 2, w, h, b);
        for (int i = 0; i < a.length; i++) {
            assertEquals("pixel " + i, a[i], b[i]);
            int row = i / w;
            int col = i % w;
            int k = (row / 2) * (w / 2) + col / 2;
            assertTrue(channelDiff(reference(ys[i], us[k], vs[k]), a[i]) <= 1);
        }
    }

    /** A frame in the given layout: Y rows yStride apart (pixel stride yPs), chroma as I420 or NV21. */
    static ByteBuffer[] layout(int[] ys, int[] us, int[] vs, int w, int h, int yStride, int yPs, boolean nv21,
                               int uvStride) {
        int cw = (w + 1) / 2;
        int chh = (h + 1) / 2;
        byte[] y = new byte[yStride * (h - 1) + (w - 1) * yPs + 1];
        for (int r = 0; r < h; r++) {
            for (int x = 0; x < w; x++) {
                y[r * yStride + x * yPs] = (byte) ys[r * w + x];
            }
        }
        if (nv21) {
            byte[] vu = new byte[uvStride * (chh - 1) + 2 * cw];
            for (int r = 0; r < chh; r++) {
                for (int x = 0; x < cw; x++) {
                    vu[r * uvStride + 2 * x] = (byte) vs[r * cw + x];
                    vu[r * uvStride + 2 * x + 1] = (byte) us[r * cw + x];
                }
            }
            ByteBuffer v = ByteBuffer.allocateDirect(vu.length - 1);
            v.put(vu, 0, vu.length - 1).rewind();
            ByteBuffer all = ByteBuffer.allocateDirect(vu.length);
            all.put(vu).position(1);
            return new ByteBuffer[] {direct(y), all.slice(), v};
        }
        byte[] u = new byte[uvStride * (chh - 1) + cw];
        byte[] v = new byte[u.length];
        for (int r = 0; r < chh; r++) {
            for (int x = 0; x < cw; x++) {
                u[r * uvStride + x] = (byte) us[r * cw + x];
                v[r * uvStride + x] = (byte) vs[r * cw + x];
            }
        }
        return new ByteBuffer[] {direct(y), direct(u), direct(v)};
    }

    static ByteBuffer direct(byte[] b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.length);
        d.put(b).rewind();
        return d;
    }

    @Test
    public void theReusableConverterGivesTheSamePixelsForEveryLayout() {
        java.util.Random rnd = new java.util.Random(3);
        YuvConverter conv = new YuvConverter();
        int[][] sizes = {{6, 4}, {7, 5}, {1, 1}, {2, 3}, {33, 17}, {640, 480}};
        for (int[] sz : sizes) {
            int w = sz[0];
            int h = sz[1];
            int cw = (w + 1) / 2;
            int chh = (h + 1) / 2;
            int[] ys = new int[w * h];
            int[] us = new int[cw * chh];
            int[] vs = new int[cw * chh];
            for (int i = 0; i < ys.length; i++) {
                ys[i] = rnd.nextInt(256);
            }
            for (int i = 0; i < us.length; i++) {
                us[i] = rnd.nextInt(256); // the extremes of the chroma range included
                vs[i] = i % 7 == 0 ? 0 : i % 7 == 1 ? 255 : rnd.nextInt(256);
            }
            for (boolean nv21 : new boolean[] {false, true}) {
                for (int yPs : new int[] {1, 2}) {
                    int yStride = w * yPs + 3;
                    int uvStride = nv21 ? 2 * cw + 5 : cw + 2;
                    ByteBuffer[] p = layout(ys, us, vs, w, h, yStride, yPs, nv21, uvStride);
                    int uvPs = nv21 ? 2 : 1;
                    int[] expected = new int[w * h];
                    YuvConverter.toArgb(p[0], yStride, yPs, p[1], p[2], uvStride, uvPs, w, h, expected);
                    int[] got = new int[w * h];
                    conv.convert(p[0], yStride, yPs, p[1], p[2], uvStride, uvPs, w, h, got);
                    assertTrue(w + "x" + h + " nv21=" + nv21 + " yPs=" + yPs,
                            java.util.Arrays.equals(expected, got));
                    assertEquals("positions restored", 0, p[0].position());
                    assertEquals(0, p[1].position());
                    assertEquals(0, p[2].position());
                }
            }
        }
    }

    @Test
    public void theReusableConverterAllocatesNothingPerFrame() {
        final int w = 640;
        final int h = 480;
        int[] ys = new int[w * h];
        int[] us = new int[w * h / 4];
        final ByteBuffer[] p = layout(ys, us, us, w, h, w, 1, true, w);
        final int[] out = new int[w * h];
        final YuvConverter conv = new YuvConverter();
        Allocation.assertNoneAfterWarmUp("YuvConverter.convert", new Runnable() {
            @Override
            public void run() {
                conv.convert(p[0], w, 1, p[1], p[2], w, 2, w, h, out);
            }
        });
    }
}

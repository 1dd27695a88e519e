package org.bisenetv2tf.core;

import java.nio.ByteBuffer;

/**
 * Camera2's {@code YUV_420_888} planes -> packed opaque ARGB, for any row and pixel strides
 * (planar I420, semi-planar NV21/NV12 and padded rows all come through the same code).
 * Full-range BT.601 ("JFIF", what camera YUV uses), in 16.16 fixed point:
 * {@code R = Y + 1.402 V', G = Y - 0.344136 U' - 0.714136 V', B = Y + 1.772 U'} with
 * {@code U' = U - 128, V' = V - 128}, rounded and clamped to 0..255.
 */
public final class YuvConverter {
    private static final int R_V = 91881;  // round(1.402 * 65536)
    private static final int G_U = 22554;  // round(0.344136 * 65536)
    private static final int G_V = 46802;  // round(0.714136 * 65536)
    private static final int B_U = 116130; // round(1.772 * 65536)
    private static final int HALF = 1 << 15;

    private YuvConverter() {
    }

    /**
     * Converts one frame. Buffers are read with absolute gets (positions are left alone);
     * {@code out} must hold {@code width * height} pixels.
     */
    public static void toArgb(ByteBuffer y, int yRowStride, int yPixelStride,
                              ByteBuffer u, ByteBuffer v, int uvRowStride, int uvPixelStride,
                              int width, int height, int[] out) {
        if (out.length < width * height) {
            throw new IllegalArgumentException("out holds " + out.length + " pixels, need " + width * height);
        }
        int yBase = y.position();
        int uBase = u.position();
        int vBase = v.position();
        for (int row = 0; row < height; row++) {
            int yRow = yBase + row * yRowStride;
            int uvRow = (row >> 1) * uvRowStride;
            int o = row * width;
            for (int col = 0; col < width; col++) {
                int yy = y.get(yRow + col * yPixelStride) & 0xFF;
                int uvOff = uvRow + (col >> 1) * uvPixelStride;
                int uu = (u.get(uBase + uvOff) & 0xFF) - 128;
                int vv = (v.get(vBase + uvOff) & 0xFF) - 128;
                int yf = (yy << 16) + HALF;
                int r = (yf + R_V * vv) >> 16;
                int g = (yf - G_U * uu - G_V * vv) >> 16;
                int b = (yf + B_U * uu) >> 16;
                out[o + col] = 0xFF000000 | (clamp(r) << 16) | (clamp(g) << 8) | clamp(b);
            }
        }
    }

    private static int clamp(int x) {
        return x < 0 ? 0 : x > 255 ? 255 : x;
    }
}

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
    /** Y + chroma term ranges over [-227, 481]; the tables cover [-256, 511]. */
    private static final int TABLE_OFFSET = 256;
    /** clamp(i - TABLE_OFFSET) in the red (with opaque alpha), green and blue places. */
    private static final int[] R_TABLE = new int[768];
    private static final int[] G_TABLE = new int[768];
    private static final int[] B_TABLE = new int[768];

    static {
        for (int i = 0; i < 768; i++) {
            int c = clamp(i - TABLE_OFFSET);
            R_TABLE[i] = 0xFF000000 | (c << 16);
            G_TABLE[i] = c << 8;
            B_TABLE[i] = c;
        }
    }

    // scratch of the reusable converter: one row of each plane, the chroma terms of one row
    private byte[] yRow = new byte[0];
    private byte[] uRow = new byte[0];
    private byte[] vRow = new byte[0];
    private int[] cr = new int[0];
    private int[] cg = new int[0];
    private int[] cb = new int[0];

    /**
     * A converter for repeated frames: {@link #convert} gives the same pixels as
     * {@link #toArgb}, reading each plane row with one bulk get into buffers it keeps, and
     * computing the chroma terms once per chroma sample. Not thread-safe.
     */
    public YuvConverter() {
    }

    /**
     * {@link #toArgb} without per-pixel buffer reads and, after the first frame of a size,
     * without allocating. The buffers' positions are restored before it returns.
     */
    public void convert(ByteBuffer y, int yRowStride, int yPixelStride,
                        ByteBuffer u, ByteBuffer v, int uvRowStride, int uvPixelStride,
                        int width, int height, int[] out) {
        if (out.length < width * height) {
            throw new IllegalArgumentException("out holds " + out.length + " pixels, need " + width * height);
        }
        int cw = (width + 1) >> 1;
        int yLen = (width - 1) * yPixelStride + 1;
        int uvLen = (cw - 1) * uvPixelStride + 1;
        if (yRow.length < yLen) {
            yRow = new byte[yLen];
        }
        if (uRow.length < uvLen) {
            uRow = new byte[uvLen];
            vRow = new byte[uvLen];
        }
        if (cr.length < cw) {
            cr = new int[cw];
            cg = new int[cw];
            cb = new int[cw];
        }
        int yBase = y.position();
        int uBase = u.position();
        int vBase = v.position();
        byte[] yr = yRow;
        int[] rd = cr;
        int[] gd = cg;
        int[] bd = cb;
        int[] rt = R_TABLE;
        int[] gt = G_TABLE;
        int[] bt = B_TABLE;
        try {
            for (int row = 0; row < height; row++) {
                if ((row & 1) == 0) {
                    int uvRow = (row >> 1) * uvRowStride;
                    u.position(uBase + uvRow);
                    u.get(uRow, 0, uvLen);
                    v.position(vBase + uvRow);
                    v.get(vRow, 0, uvLen);
                    // (Y << 16) is a multiple of 2^16, so (Y << 16) + t >> 16 == Y + (t >> 16): the
                    // chroma terms become table offsets (TABLE_OFFSET keeps the index positive)
                    for (int c = 0, i = 0; c < cw; c++, i += uvPixelStride) {
                        int uu = (uRow[i] & 0xFF) - 128;
                        int vv = (vRow[i] & 0xFF) - 128;
                        rd[c] = ((HALF + R_V * vv) >> 16) + TABLE_OFFSET;
                        gd[c] = ((HALF - G_U * uu - G_V * vv) >> 16) + TABLE_OFFSET;
                        bd[c] = ((HALF + B_U * uu) >> 16) + TABLE_OFFSET;
                    }
                }
                y.position(yBase + row * yRowStride);
                y.get(yr, 0, yLen);
                int o = row * width;
                if (yPixelStride == 1) {
                    // two pixels per chroma sample
                    int pairs = width >> 1;
                    for (int c = 0, col = 0; c < pairs; c++, col += 2) {
                        int r = rd[c];
                        int g = gd[c];
                        int b = bd[c];
                        int y0 = yr[col] & 0xFF;
                        int y1 = yr[col + 1] & 0xFF;
                        out[o + col] = rt[y0 + r] | gt[y0 + g] | bt[y0 + b];
                        out[o + col + 1] = rt[y1 + r] | gt[y1 + g] | bt[y1 + b];
                    }
                    if ((width & 1) != 0) {
                        int yy = yr[width - 1] & 0xFF;
                        int c = pairs;
                        out[o + width - 1] = rt[yy + rd[c]] | gt[yy + gd[c]] | bt[yy + bd[c]];
                    }
                } else {
                    for (int col = 0, i = 0; col < width; col++, i += yPixelStride) {
                        int yy = yr[i] & 0xFF;
                        int c = col >> 1;
                        out[o + col] = rt[yy + rd[c]] | gt[yy + gd[c]] | bt[yy + bd[c]];
                    }
                }
            }
        } finally {
            y.position(yBase);
            u.position(uBase);
            v.position(vBase);
        }
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

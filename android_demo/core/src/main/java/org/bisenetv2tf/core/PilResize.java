package org.bisenetv2tf.core;

/**
 * Bilinear resize that reproduces Pillow's {@code Image.resize(size, Image.BILINEAR)} on RGB
 * images bit for bit (Pillow's {@code libImaging/Resample.c}: a separable convolution with a
 * triangle filter widened by the scale when downsampling, coefficients normalized per output
 * pixel and rounded to 22-bit fixed point, horizontal pass then vertical pass).
 *
 * <p>{@code bisenetv2_tf/runtime/metadata.py} resizes with Pillow, so using the same arithmetic here makes
 * the Java input tensor identical to Python's even when the letterbox resizes. Pillow 13
 * changed the order of the two passes for images whose height shrinks much more than their
 * width (see {@link Order}); the coefficients and rounding are the same in every version.
 */
public final class PilResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PilResize() {
    }

    /** Filter taps for one axis: for output i, {@code taps} weights starting at input {@code start[i]}. */
    static final class Coefficients {
        final int ksize;
        final int[] start;
        final int[] count;
        final int[] weights; // fixed point, ksize per output pixel

        Coefficients(int ksize, int[] start, int[] count, int[] weights) {
            this.ksize = ksize;
            this.start = start;
            this.count = count;
            this.weights = weights;
        }
    }

    private static double bilinearFilter(double x) {
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return 1.0 - x;
        }
        return 0.0;
    }

    /** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box [0, inSize). */
    static Coefficients coefficients(int inSize, int outSize) {
        float in0 = 0f;
        float in1 = inSize;
        double scale = (double) (in1 - in0) / outSize;
        double filterscale = scale < 1.0 ? 1.0 : scale;
        double support = 1.0 * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = in0 + (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            for (int x = 0; x < xmax; x++) {
                double w = bilinearFilter((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                if (ww != 0.0) {
                    k[x] /= ww;
                }
            }
            for (int x = 0; x < ksize; x++) {
                double v = x < xmax ? k[x] : 0.0;
                weights[xx * ksize + x] = v < 0
                        ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                        : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(ksize, start, count, weights);
    }

    private static int clip8(int ss) {
        int v = ss >> PRECISION_BITS;
        return v < 0 ? 0 : (v > 255 ? 255 : v);
    }

    /** Which Pillow's pass order to reproduce. */
    public enum Order {
        /**
         * Pillow 13+: the vertical pass runs first when the height shrinks by more than twice
         * as many pixels as the width ({@code h - outH > 0 && h - outH > (w - outW) * 2}).
         */
        PILLOW_13,
        /** Pillow up to 12: always horizontal, then vertical. */
        HORIZONTAL_FIRST;

        /** The order used by a given Pillow major version. */
        public static Order forPillowMajor(int major) {
            return major >= 13 ? PILLOW_13 : HORIZONTAL_FIRST;
        }
    }

    /** True when the horizontal pass runs before the vertical one. */
    public static boolean horizontalFirst(int width, int height, int outWidth, int outHeight, Order order) {
        if (order == Order.HORIZONTAL_FIRST) {
            return true;
        }
        return !((height - outHeight) > 0 && (height - outHeight) > (width - outWidth) * 2);
    }

    /**
     * Resizes a packed ARGB (or 0xRRGGBB) image to {@code outWidth x outHeight} as Pillow 13+
     * does; alpha is ignored and the result is opaque ARGB. Returns a copy when the size is
     * unchanged.
     */
    public static int[] resize(int[] argb, int width, int height, int outWidth, int outHeight) {
        return resize(argb, width, height, outWidth, outHeight, Order.PILLOW_13);
    }

    /** {@link #resize(int[], int, int, int, int)} with an explicit Pillow pass order. */
    public static int[] resize(int[] argb, int width, int height, int outWidth, int outHeight, Order order) {
        if (width <= 0 || height <= 0 || outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (argb.length < width * height) {
            throw new IllegalArgumentException("pixel array holds " + argb.length + " pixels, need " + width * height);
        }
        boolean needH = outWidth != width;
        boolean needV = outHeight != height;
        int[] img = argb;
        if (horizontalFirst(width, height, outWidth, outHeight, order)) {
            Coefficients cv = coefficients(height, outHeight);
            int rowFirst = 0;
            int rows = height;
            if (needH) {
                // like Pillow, only the source rows the vertical pass reads
                rowFirst = cv.start[0];
                rows = cv.start[outHeight - 1] + cv.count[outHeight - 1] - rowFirst;
                img = horizontal(img, width, rowFirst, rows, coefficients(width, outWidth), outWidth);
            }
            int w = needH ? outWidth : width;
            if (needV) {
                img = vertical(img, w, needH ? rowFirst : 0, cv, outHeight);
            }
        } else {
            if (needV) {
                img = vertical(img, width, 0, coefficients(height, outHeight), outHeight);
            }
            if (needH) {
                img = horizontal(img, width, 0, outHeight, coefficients(width, outWidth), outWidth);
            }
        }
        int[] out = new int[outWidth * outHeight];
        for (int i = 0; i < out.length; i++) {
            out[i] = 0xFF000000 | img[i];
        }
        return out;
    }

    /** Horizontal pass over source rows [rowFirst, rowFirst + rows). */
    private static int[] horizontal(int[] src, int width, int rowFirst, int rows, Coefficients ch, int outWidth) {
        int[] out = new int[outWidth * rows];
        for (int yy = 0; yy < rows; yy++) {
            int rowBase = (yy + rowFirst) * width;
            for (int xx = 0; xx < outWidth; xx++) {
                int xmin = ch.start[xx];
                int n = ch.count[xx];
                int kb = xx * ch.ksize;
                int s0 = HALF;
                int s1 = HALF;
                int s2 = HALF;
                for (int x = 0; x < n; x++) {
                    int p = src[rowBase + xmin + x];
                    int w = ch.weights[kb + x];
                    s0 += ((p >> 16) & 0xFF) * w;
                    s1 += ((p >> 8) & 0xFF) * w;
                    s2 += (p & 0xFF) * w;
                }
                out[yy * outWidth + xx] = 0xFF000000 | (clip8(s0) << 16) | (clip8(s1) << 8) | clip8(s2);
            }
        }
        return out;
    }

    /** Vertical pass; {@code src} row 0 is source row {@code rowOffset}. */
    private static int[] vertical(int[] src, int width, int rowOffset, Coefficients cv, int outHeight) {
        int[] out = new int[width * outHeight];
        for (int yy = 0; yy < outHeight; yy++) {
            int ymin = cv.start[yy] - rowOffset;
            int n = cv.count[yy];
            int kb = yy * cv.ksize;
            for (int xx = 0; xx < width; xx++) {
                int s0 = HALF;
                int s1 = HALF;
                int s2 = HALF;
                for (int y = 0; y < n; y++) {
                    int p = src[(ymin + y) * width + xx];
                    int w = cv.weights[kb + y];
                    s0 += ((p >> 16) & 0xFF) * w;
                    s1 += ((p >> 8) & 0xFF) * w;
                    s2 += (p & 0xFF) * w;
                }
                out[yy * width + xx] = 0xFF000000 | (clip8(s0) << 16) | (clip8(s1) << 8) | clip8(s2);
            }
        }
        return out;
    }
}

package org.bisenetv2tf.core;

/** Pixel-array helpers: rotation to upright and RGB byte <-> packed ARGB conversion. */
public final class ImageOps {
    private ImageOps() {
    }

    /**
     * Rotates a packed image clockwise by 0, 90, 180 or 270 degrees (CameraX's
     * {@code ImageInfo.getRotationDegrees()}: the clockwise rotation that makes the frame
     * upright). The result is {@code height x width} wide for 90/270.
     */
    public static int[] rotate(int[] src, int width, int height, int degrees) {
        int d = ((degrees % 360) + 360) % 360;
        if (src.length < width * height) {
            throw new IllegalArgumentException("pixel array holds " + src.length + " pixels, need " + width * height);
        }
        int[] out = new int[width * height];
        switch (d) {
            case 0:
                System.arraycopy(src, 0, out, 0, width * height);
                break;
            case 90: // out is height wide: out(x', y') with x' = height-1-y, y' = x
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        out[x * height + (height - 1 - y)] = src[y * width + x];
                    }
                }
                break;
            case 180:
                for (int i = 0, n = width * height; i < n; i++) {
                    out[n - 1 - i] = src[i];
                }
                break;
            case 270: // x' = y, y' = width-1-x
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        out[(width - 1 - x) * height + y] = src[y * width + x];
                    }
                }
                break;
            default:
                throw new IllegalArgumentException("rotation must be a multiple of 90 degrees, got " + degrees);
        }
        return out;
    }

    /** Width after rotating a {@code width x height} image by {@code degrees}. */
    public static int rotatedWidth(int width, int height, int degrees) {
        return ((degrees % 180) + 180) % 180 == 0 ? width : height;
    }

    public static int rotatedHeight(int width, int height, int degrees) {
        return ((degrees % 180) + 180) % 180 == 0 ? height : width;
    }

    /**
     * The largest power-of-two {@code BitmapFactory.Options.inSampleSize} that still decodes a
     * {@code width x height} picture with its longer side at least {@code maxSide} (1 when it is
     * no larger): decode big, then {@link #fitWithin} scales down to exactly {@code maxSide}.
     */
    public static int decodeSampleSize(int width, int height, int maxSide) {
        int longer = Math.max(width, height);
        int sample = 1;
        while (longer / (sample * 2) >= maxSide) {
            sample *= 2;
        }
        return sample;
    }

    /**
     * {@code {w, h}} scaled uniformly so the longer side is at most {@code maxSide} (rounded,
     * at least 1); unchanged when it already fits.
     */
    public static int[] fitWithin(int width, int height, int maxSide) {
        int longer = Math.max(width, height);
        if (longer <= maxSide) {
            return new int[] {width, height};
        }
        double s = (double) maxSide / longer;
        return new int[] {
            width >= height ? maxSide : (int) Math.max(1, Math.round(width * s)),
            height >= width ? maxSide : (int) Math.max(1, Math.round(height * s))};
    }

    /** Interleaved RGB bytes (h*w*3) -> opaque packed ARGB. */
    public static int[] rgbToArgb(byte[] rgb, int pixels) {
        if (rgb.length < 3 * pixels) {
            throw new IllegalArgumentException("RGB array holds " + rgb.length / 3 + " pixels, need " + pixels);
        }
        int[] out = new int[pixels];
        for (int i = 0; i < pixels; i++) {
            out[i] = 0xFF000000 | ((rgb[3 * i] & 0xFF) << 16) | ((rgb[3 * i + 1] & 0xFF) << 8) | (rgb[3 * i + 2] & 0xFF);
        }
        return out;
    }

    /** Packed ARGB -> interleaved RGB bytes (alpha dropped). */
    public static byte[] argbToRgb(int[] argb, int pixels) {
        byte[] out = new byte[3 * pixels];
        for (int i = 0; i < pixels; i++) {
            int p = argb[i];
            out[3 * i] = (byte) (p >> 16);
            out[3 * i + 1] = (byte) (p >> 8);
            out[3 * i + 2] = (byte) p;
        }
        return out;
    }
}

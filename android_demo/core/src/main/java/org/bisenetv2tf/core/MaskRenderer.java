package org.bisenetv2tf.core;

/**
 * Class map -> pixels: a translucent colour mask over the letterbox's valid region (what the
 * live overlay view scales onto the preview), the class map taken back to image size (the
 * inverse letterbox, nearest), and a mask blended into the image (the still-image result).
 *
 * <p>Blending is integer and rounds half up, per channel:
 * {@code out = (color * alpha + pixel * (255 - alpha) + 127) / 255}. Class ids outside
 * [0, numClasses) (e.g. the ignore index) are left transparent / unblended.
 */
public final class MaskRenderer {
    private MaskRenderer() {
    }

    /** 0xRRGGBB colours -> ARGB colours with the given alpha (0..255). */
    public static int[] colorTable(int[] rgbColors, int alpha) {
        checkAlpha(alpha);
        int[] table = new int[rgbColors.length];
        for (int i = 0; i < table.length; i++) {
            table[i] = (alpha << 24) | (rgbColors[i] & 0xFFFFFF);
        }
        return table;
    }

    /**
     * ARGB mask of the valid region: {@code resizedWidth x resizedHeight} pixels read from the
     * top-left of the {@code mapWidth}-wide model class map. Drawn scaled (without filtering)
     * over the displayed image, it lines up with {@link #classMapToImage}.
     */
    public static int[] validRegionMask(int[] classMap, int mapWidth, Letterbox lb, int[] argbTable, int[] reuse) {
        int rw = lb.resizedWidth;
        int rh = lb.resizedHeight;
        if (mapWidth < rw || classMap.length < mapWidth * (rh - 1) + rw) {
            throw new IllegalArgumentException("class map is smaller than the letterbox region " + rh + "x" + rw);
        }
        int[] out = reuse != null && reuse.length >= rw * rh ? reuse : new int[rw * rh];
        for (int y = 0; y < rh; y++) {
            for (int x = 0; x < rw; x++) {
                int c = classMap[y * mapWidth + x];
                out[y * rw + x] = c >= 0 && c < argbTable.length ? argbTable[c] : 0;
            }
        }
        return out;
    }

    /** The model's class map (mapWidth wide) taken back to the image's h x w (inverse letterbox, nearest). */
    public static int[] classMapToImage(int[] classMap, int mapWidth, Letterbox lb) {
        int h = lb.imageHeight;
        int w = lb.imageWidth;
        if (mapWidth < lb.resizedWidth || classMap.length < mapWidth * (lb.resizedHeight - 1) + lb.resizedWidth) {
            throw new IllegalArgumentException("class map is smaller than the letterbox region");
        }
        int[] cols = new int[w];
        for (int x = 0; x < w; x++) {
            cols[x] = lb.sourceCol(x);
        }
        int[] out = new int[h * w];
        for (int y = 0; y < h; y++) {
            int row = lb.sourceRow(y) * mapWidth;
            for (int x = 0; x < w; x++) {
                out[y * w + x] = classMap[row + cols[x]];
            }
        }
        return out;
    }

    /** Blends class colours into an image of the same size; the result is opaque ARGB. */
    public static int[] blend(int[] imageArgb, int[] imageClasses, int[] rgbColors, int alpha) {
        checkAlpha(alpha);
        if (imageClasses.length != imageArgb.length) {
            throw new IllegalArgumentException("image has " + imageArgb.length + " pixels, class map "
                    + imageClasses.length);
        }
        int[] out = new int[imageArgb.length];
        for (int i = 0; i < out.length; i++) {
            int p = imageArgb[i];
            int c = imageClasses[i];
            if (c < 0 || c >= rgbColors.length) {
                out[i] = 0xFF000000 | p;
                continue;
            }
            int color = rgbColors[c];
            int r = blendChannel((color >> 16) & 0xFF, (p >> 16) & 0xFF, alpha);
            int g = blendChannel((color >> 8) & 0xFF, (p >> 8) & 0xFF, alpha);
            int b = blendChannel(color & 0xFF, p & 0xFF, alpha);
            out[i] = 0xFF000000 | (r << 16) | (g << 8) | b;
        }
        return out;
    }

    /** Solid colour image of a class map (unknown ids black): the still-image mode's mask panel. */
    public static int[] solidMask(int[] classes, int[] rgbColors) {
        int[] out = new int[classes.length];
        for (int i = 0; i < out.length; i++) {
            int c = classes[i];
            out[i] = 0xFF000000 | (c >= 0 && c < rgbColors.length ? rgbColors[c] & 0xFFFFFF : 0);
        }
        return out;
    }

    public static int blendChannel(int color, int pixel, int alpha) {
        return (color * alpha + pixel * (255 - alpha) + 127) / 255;
    }

    /** Pixel count per class id in [0, numClasses) over the first {@code count} entries. */
    public static int[] histogram(int[] classes, int count, int numClasses) {
        int[] hist = new int[numClasses];
        for (int i = 0; i < count; i++) {
            int c = classes[i];
            if (c >= 0 && c < numClasses) {
                hist[c]++;
            }
        }
        return hist;
    }

    /** Histogram of the valid region only (padding is not part of the image). */
    public static int[] histogram(int[] classMap, int mapWidth, Letterbox lb, int numClasses) {
        int[] hist = new int[numClasses];
        for (int y = 0; y < lb.resizedHeight; y++) {
            for (int x = 0; x < lb.resizedWidth; x++) {
                int c = classMap[y * mapWidth + x];
                if (c >= 0 && c < numClasses) {
                    hist[c]++;
                }
            }
        }
        return hist;
    }

    private static void checkAlpha(int alpha) {
        if (alpha < 0 || alpha > 255) {
            throw new IllegalArgumentException("alpha must be 0..255, got " + alpha);
        }
    }
}

package org.bisenetv2tf.core;

/**
 * Top-left letterbox geometry of {@code bisenetv2_tf/runtime/metadata.py}: an h x w image is scaled by
 * {@code r = min(H/h, W/w)} to {@code round(h*r) x round(w*r)} (Python's round, half to even;
 * no resize when r == 1) and placed at the top-left of the H x W model input; the rest is
 * padding.
 *
 * <p>The inverse (model class map -> image) is nearest-neighbour on pixel centres with
 * integer arithmetic: image row y reads resized row {@code ((2y + 1) * rh) / (2h)}, and the
 * same for columns, so Java, Python and JS agree exactly.
 */
public final class Letterbox {
    public final int imageHeight;
    public final int imageWidth;
    public final int inputHeight;
    public final int inputWidth;
    /** Size of the resized image inside the input: the valid region is [0, resizedHeight) x [0, resizedWidth). */
    public final int resizedHeight;
    public final int resizedWidth;
    /** {@code min(H/h, W/w)} in double precision, as Python computes it. */
    public final double scale;

    private Letterbox(int h, int w, int bigH, int bigW, int rh, int rw, double scale) {
        this.imageHeight = h;
        this.imageWidth = w;
        this.inputHeight = bigH;
        this.inputWidth = bigW;
        this.resizedHeight = rh;
        this.resizedWidth = rw;
        this.scale = scale;
    }

    /** Geometry for an {@code imageHeight x imageWidth} image and an {@code inputHeight x inputWidth} model input. */
    public static Letterbox of(int imageHeight, int imageWidth, int inputHeight, int inputWidth) {
        if (imageHeight <= 0 || imageWidth <= 0 || inputHeight <= 0 || inputWidth <= 0) {
            throw new IllegalArgumentException("sizes must be positive: image " + imageHeight + "x" + imageWidth
                    + ", input " + inputHeight + "x" + inputWidth);
        }
        double r = Math.min((double) inputHeight / imageHeight, (double) inputWidth / imageWidth);
        if (r == 1.0) {
            return new Letterbox(imageHeight, imageWidth, inputHeight, inputWidth, imageHeight, imageWidth, r);
        }
        int rh = (int) Math.min(inputHeight, Math.max(1, Math.rint(imageHeight * r)));
        int rw = (int) Math.min(inputWidth, Math.max(1, Math.rint(imageWidth * r)));
        return new Letterbox(imageHeight, imageWidth, inputHeight, inputWidth, rh, rw, r);
    }

    /** True when the image must be resampled before it is placed in the input. */
    public boolean resizes() {
        return resizedHeight != imageHeight || resizedWidth != imageWidth;
    }

    /** Resized-region row (model input row) that image row {@code y} reads in the inverse mapping. */
    public int sourceRow(int y) {
        return (int) (((2L * y + 1) * resizedHeight) / (2L * imageHeight));
    }

    /** Resized-region column (model input column) that image column {@code x} reads in the inverse mapping. */
    public int sourceCol(int x) {
        return (int) (((2L * x + 1) * resizedWidth) / (2L * imageWidth));
    }

    /** Continuous image coordinate -> model input coordinate (pixel edges at integers). */
    public double imageToInputX(double x) {
        return x * resizedWidth / imageWidth;
    }

    public double imageToInputY(double y) {
        return y * resizedHeight / imageHeight;
    }

    /** Continuous model input coordinate -> image coordinate; inputs beyond the valid region map outside the image. */
    public double inputToImageX(double x) {
        return x * imageWidth / resizedWidth;
    }

    public double inputToImageY(double y) {
        return y * imageHeight / resizedHeight;
    }

    /** True when model input pixel (x, y) holds image content rather than padding. */
    public boolean isValid(int inputX, int inputY) {
        return inputX >= 0 && inputY >= 0 && inputX < resizedWidth && inputY < resizedHeight;
    }

    @Override
    public String toString() {
        return "Letterbox{image " + imageHeight + "x" + imageWidth + " -> " + resizedHeight + "x" + resizedWidth
                + " in " + inputHeight + "x" + inputWidth + ", r=" + scale + "}";
    }
}

package org.bisenetv2tf.core;

/**
 * Where an upright camera frame or picture lands inside a view, for drawing the mask over it.
 * Rectangles are {left, top, right, bottom} in view pixels.
 */
public final class ViewGeometry {
    private ViewGeometry() {
    }

    /** The whole image, scaled uniformly to fit and centred (PreviewView FIT_CENTER, ImageView fitCenter). */
    public static float[] fitCenter(int imageWidth, int imageHeight, int viewWidth, int viewHeight) {
        float s = Math.min((float) viewWidth / imageWidth, (float) viewHeight / imageHeight);
        return centred(imageWidth * s, imageHeight * s, viewWidth, viewHeight);
    }

    /** Scaled uniformly to cover the view and centred, cropping the overflow (PreviewView FILL_CENTER). */
    public static float[] fillCenter(int imageWidth, int imageHeight, int viewWidth, int viewHeight) {
        float s = Math.max((float) viewWidth / imageWidth, (float) viewHeight / imageHeight);
        return centred(imageWidth * s, imageHeight * s, viewWidth, viewHeight);
    }

    private static float[] centred(float w, float h, int viewWidth, int viewHeight) {
        float left = (viewWidth - w) / 2f;
        float top = (viewHeight - h) / 2f;
        return new float[] {left, top, left + w, top + h};
    }
}

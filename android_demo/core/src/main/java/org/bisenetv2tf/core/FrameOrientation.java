package org.bisenetv2tf.core;

/**
 * How a camera frame becomes upright on the screen, from camera2's numbers: the sensor
 * orientation ({@code SENSOR_ORIENTATION}: the clockwise rotation that makes the sensor's
 * image upright in the device's natural orientation), the lens facing, and the display
 * rotation ({@code Display.getRotation()} in degrees: how far the UI is drawn rotated from the
 * natural orientation, the opposite of how the device was turned).
 *
 * <p>The frame is turned clockwise by {@link #rotation} (camera2's JPEG orientation formula:
 * the device orientation is {@code -displayRotation}, and a front camera sees the device turn
 * the other way). A front camera's preview is shown mirrored, like a mirror, while the frame
 * itself is not: the model sees the unmirrored frame and the mask is drawn mirrored
 * ({@link #mirrored}) so that it lies over the preview.
 */
public final class FrameOrientation {
    private FrameOrientation() {
    }

    /** Clockwise rotation (0, 90, 180, 270) that makes the frame upright on the current display. */
    public static int rotation(int sensorOrientation, int displayRotation, boolean frontFacing) {
        int sensor = normalize(sensorOrientation);
        int display = normalize(displayRotation);
        return frontFacing ? (sensor + display) % 360 : (sensor - display + 360) % 360;
    }

    /** True when the preview shows this camera mirrored, so the mask must be drawn mirrored too. */
    public static boolean mirrored(boolean frontFacing) {
        return frontFacing;
    }

    /** {@code Surface.ROTATION_*} (0..3) -> degrees. */
    public static int displayDegrees(int surfaceRotation) {
        return (surfaceRotation & 3) * 90;
    }

    private static int normalize(int degrees) {
        int d = ((degrees % 360) + 360) % 360;
        if (d % 90 != 0) {
            throw new IllegalArgumentException("orientation must be a multiple of 90 degrees, got " + degrees);
        }
        return d;
    }
}

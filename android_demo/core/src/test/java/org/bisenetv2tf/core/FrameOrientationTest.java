package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import org.junit.Test;

/**
 * The rotation and mirroring math against a simulation of the camera: for every display
 * rotation (0/90/180/270) x sensor orientation (90/270) x lens (back/front), a scene is
 * "captured" as that sensor would deliver it, turned upright with {@link FrameOrientation},
 * and must come out as the scene (back) or as the unmirrored selfie (front; the preview shows
 * its mirror image, so the mask is drawn mirrored).
 *
 * <p>The simulation follows camera2's definitions: the device turned clockwise by d (what
 * {@code OrientationEventListener} reports; the display then draws rotated by
 * {@code displayRotation = -d}) sees the world turned by -d through the back camera and by +d
 * through the front camera, which faces the other way; the sensor delivers that device-frame
 * image turned back by its {@code SENSOR_ORIENTATION}.
 */
public class FrameOrientationTest {
    /** An image whose every rotation and mirror image differ: 3 wide, 2 tall, distinct pixels. */
    static final int W = 3;
    static final int H = 2;
    static final int[] SCENE = {1, 2, 3, 4, 5, 6};

    static int[] rotate(int[] img, int w, int h, int degrees) {
        return ImageOps.rotate(img, w, h, ((degrees % 360) + 360) % 360);
    }

    static int[] mirror(int[] img, int w, int h) {
        int[] out = new int[img.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out[y * w + x] = img[y * w + (w - 1 - x)];
            }
        }
        return out;
    }

    /** What the sensor delivers (and its width) when the device is turned clockwise by d. */
    static Object[] capture(int d, int sensorOrientation, boolean front) {
        int[] device = rotate(SCENE, W, H, front ? d : -d);
        int dw = ImageOps.rotatedWidth(W, H, d);
        int dh = ImageOps.rotatedHeight(W, H, d);
        int[] sensor = rotate(device, dw, dh, -sensorOrientation);
        return new Object[] {sensor, ImageOps.rotatedWidth(dw, dh, sensorOrientation),
            ImageOps.rotatedHeight(dw, dh, sensorOrientation)};
    }

    @Test
    public void everyDisplayRotationSensorOrientationAndLensComesOutUpright() {
        int cases = 0;
        for (int display : new int[] {0, 90, 180, 270}) {
            int d = (360 - display) % 360; // the device is turned the other way
            for (int sensorOrientation : new int[] {90, 270}) {
                for (boolean front : new boolean[] {false, true}) {
                    Object[] c = capture(d, sensorOrientation, front);
                    int[] frame = (int[]) c[0];
                    int fw = (Integer) c[1];
                    int fh = (Integer) c[2];
                    int rot = FrameOrientation.rotation(sensorOrientation, display, front);
                    String what = "display " + display + ", sensor " + sensorOrientation + ", "
                            + (front ? "front" : "back") + ": rotation " + rot;
                    assertEquals(what, W, ImageOps.rotatedWidth(fw, fh, rot));
                    int[] upright = rotate(frame, fw, fh, rot);
                    assertArrayEquals(what, SCENE, upright);
                    assertEquals(what, front, FrameOrientation.mirrored(front));
                    if (front) {
                        // what the user sees in the mirrored preview, and where the mirrored mask lies
                        assertArrayEquals(what, mirror(SCENE, W, H), mirror(upright, W, H));
                    }
                    cases++;
                }
            }
        }
        assertEquals(16, cases);
    }

    @Test
    public void theFusedLetterboxTurnsTheFrameTheSameWay() {
        ModelMetadata meta = LetterboxWriterTest.model(4, 6, "uint8");
        Preprocessor pre = new Preprocessor(meta);
        LetterboxWriter writer = new LetterboxWriter(pre);
        int[] scene = LetterboxWriterTest.image(6, 4, 11);
        ByteBuffer expected = ByteBuffer.allocate(meta.input.numBytes());
        pre.preprocess(scene, 6, 4, expected); // the scene upright: no resize, 6x4 into 6x4
        for (int display : new int[] {0, 90, 180, 270}) {
            for (int sensorOrientation : new int[] {90, 270}) {
                for (boolean front : new boolean[] {false, true}) {
                    int d = (360 - display) % 360;
                    int[] device = rotate(scene, 6, 4, front ? d : -d);
                    int dw = ImageOps.rotatedWidth(6, 4, d);
                    int dh = ImageOps.rotatedHeight(6, 4, d);
                    int[] sensor = rotate(device, dw, dh, -sensorOrientation);
                    int sw = ImageOps.rotatedWidth(dw, dh, sensorOrientation);
                    int sh = ImageOps.rotatedHeight(dw, dh, sensorOrientation);
                    ByteBuffer out = ByteBuffer.allocate(meta.input.numBytes());
                    writer.write(sensor, sw, sh, FrameOrientation.rotation(sensorOrientation, display, front), out);
                    assertEquals("display " + display + " sensor " + sensorOrientation + " front " + front, expected,
                            out);
                }
            }
        }
    }

    @Test
    public void displayRotationConstantsAreQuarterTurns() {
        assertEquals(0, FrameOrientation.displayDegrees(0));
        assertEquals(90, FrameOrientation.displayDegrees(1));
        assertEquals(270, FrameOrientation.displayDegrees(3));
        assertEquals(90, FrameOrientation.rotation(90, 0, false));
        assertEquals(0, FrameOrientation.rotation(90, 90, false));
        assertEquals(270, FrameOrientation.rotation(270, 0, true));
        assertEquals(0, FrameOrientation.rotation(270, 90, true));
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsOddAngles() {
        FrameOrientation.rotation(45, 0, false);
    }
}

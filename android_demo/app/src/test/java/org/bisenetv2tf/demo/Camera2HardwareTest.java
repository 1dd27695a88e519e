package org.bisenetv2tf.demo;

import static org.junit.Assert.assertEquals;

import android.util.Size;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.annotation.Config;

/** The camera stream size: 4:3 (the preview and the analysed frame agree), near 640x480. */
@RunWith(RobolectricTestRunner.class)
@Config(sdk = 34)
public class Camera2HardwareTest {
    private static Size[] sizes(int... wh) {
        Size[] out = new Size[wh.length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = new Size(wh[2 * i], wh[2 * i + 1]);
        }
        return out;
    }

    @Test
    public void picksTheFourByThreeSizeNearest640x480() {
        Size[] all = sizes(4000, 3000, 1920, 1080, 1280, 960, 800, 600, 640, 480, 640, 360, 320, 240);
        assertEquals(new Size(640, 480), Camera2Hardware.chooseSize(all, all));
    }

    @Test
    public void takesOnlySizesBothOutputsOffer() {
        Size[] yuv = sizes(1920, 1080, 800, 600, 640, 480);
        Size[] preview = sizes(1920, 1080, 800, 600);
        assertEquals(new Size(800, 600), Camera2Hardware.chooseSize(yuv, preview));
    }

    @Test
    public void prefersFourByThreeOverACloserWideSize() {
        Size[] all = sizes(640, 360, 1280, 960);
        assertEquals(new Size(1280, 960), Camera2Hardware.chooseSize(all, all));
    }

    @Test
    public void fallsBackToTheNearestSharedSizeWithoutFourByThree() {
        Size[] all = sizes(1920, 1080, 1280, 720, 640, 360);
        assertEquals(new Size(640, 360), Camera2Hardware.chooseSize(all, all));
        Size[] none = sizes(1600, 1200);
        assertEquals("nothing shared: the first YUV size", new Size(1920, 1080),
                Camera2Hardware.chooseSize(all, none));
    }
}

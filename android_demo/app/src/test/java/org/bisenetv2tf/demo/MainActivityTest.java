package org.bisenetv2tf.demo;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

import android.Manifest;
import android.app.Activity;
import android.content.Intent;
import android.graphics.drawable.BitmapDrawable;
import android.net.Uri;
import android.os.Looper;
import android.view.View;
import android.widget.ImageView;
import android.widget.RadioButton;
import android.widget.Spinner;
import android.widget.TextView;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.ModelMetadata;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.android.controller.ActivityController;
import org.robolectric.annotation.Config;
import org.robolectric.shadows.ShadowActivity;

/**
 * The real MainActivity under Robolectric (framework classes of API 34 on the JVM, the APK's
 * own compiled resources): layout, controls, mode switch, the document picker, and what the
 * screen shows when the model cannot load (TFLite's JNI library is Android-only, so on the JVM
 * every delegate fails: GPU falls back to the CPU visibly, then the CPU fails with a message).
 */
@RunWith(RobolectricTestRunner.class)
@Config(sdk = 34)
public class MainActivityTest {
    /** Stands in for TFLite: every pixel gets class {@code cls}; records what was opened. */
    static final class FakeEngines implements SegmentationController.EngineFactory {
        final List<String> opened = new ArrayList<String>();
        final int cls;

        FakeEngines(int cls) {
            this.cls = cls;
        }

        @Override
        public SegmentationController.Engine open(String modelFile, final ModelMetadata meta, Delegate delegate,
                                                  int threads) {
            opened.add(delegate + ":" + modelFile);
            return new SegmentationController.Engine() {
                @Override
                public void run(ByteBuffer input, ByteBuffer output) {
                    int k = meta.numClasses();
                    for (int i = 0; i < meta.output.numElements(); i++) {
                        output.put(i, (byte) (i % k == cls ? 200 : 0)); // uint8 logits
                    }
                }

                @Override
                public void close() {
                }
            };
        }
    }

    @After
    public void noFake() {
        MainActivity.engineFactoryForTests = null;
    }

    private static void idleUntil(MainActivity a, int viewId, String contains) throws InterruptedException {
        TextView v = (TextView) a.findViewById(viewId);
        for (int i = 0; i < 300; i++) {
            shadowOf(Looper.getMainLooper()).idle();
            if (v.getVisibility() == View.VISIBLE && v.getText().toString().contains(contains)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("view never showed '" + contains + "': '" + v.getText() + "'");
    }

    @Test
    public void startsInLiveModeWithTheThreeDelegatesAndAsksForTheCamera() throws Exception {
        ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup();
        MainActivity a = c.get();
        assertEquals(View.VISIBLE, a.findViewById(R.id.live_panel).getVisibility());
        assertEquals(View.GONE, a.findViewById(R.id.photo_panel).getVisibility());
        Spinner delegates = (Spinner) a.findViewById(R.id.delegate);
        assertEquals(3, delegates.getAdapter().getCount());
        assertEquals("CPU (XNNPACK)", delegates.getAdapter().getItem(0));
        assertEquals("GPU", delegates.getAdapter().getItem(1));
        assertEquals("NNAPI", delegates.getAdapter().getItem(2)); // API 34: not deprecated yet
        ShadowActivity.PermissionsRequest request = shadowOf(a).getLastRequestedPermission();
        assertNotNull(request);
        assertEquals(Manifest.permission.CAMERA, request.requestedPermissions[0]);
        // no TFLite JNI library on the JVM: the load fails and the screen says so
        idleUntil(a, R.id.live_status, "Could not load the model");
        c.pause().stop().destroy();
    }

    @Test
    public void aDelegateThatCannotStartFallsBackToTheCpuOnScreen() throws Exception {
        ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup();
        MainActivity a = c.get();
        idleUntil(a, R.id.live_status, "Could not load the model");
        Spinner delegates = (Spinner) a.findViewById(R.id.delegate);
        delegates.setSelection(1); // GPU
        idleUntil(a, R.id.note, "GPU could not start");
        idleUntil(a, R.id.note, "Running on the CPU instead.");
        assertEquals(0, delegates.getSelectedItemPosition());
        assertTrue(((TextView) a.findViewById(R.id.live_status)).getText().toString()
                .contains("Could not load the model on the CPU either"));
        c.pause().stop().destroy();
    }

    @Test
    public void aPickedPictureIsSegmentedAndShownWithItsLegend() throws Exception {
        FakeEngines engines = new FakeEngines(2);
        MainActivity.engineFactoryForTests = engines;
        ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup();
        MainActivity a = c.get();
        // the real models and metadata from the APK's assets: CPU takes the INT8 QAT model
        idleUntil(a, R.id.live_status, "bisenetv2_int8_qat.tflite on CPU (XNNPACK)");
        assertEquals("CPU:bisenetv2_int8_qat.tflite", engines.opened.get(0));
        ((RadioButton) a.findViewById(R.id.mode_photo)).performClick();
        a.findViewById(R.id.pick).performClick();
        Intent pick = shadowOf(a).getNextStartedActivity();

        BufferedImage img = new BufferedImage(60, 40, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        final byte[] bytes = png.toByteArray();
        Uri uri = Uri.parse("content://org.bisenetv2tf.test/picture.png");
        shadowOf(a.getContentResolver()).registerInputStreamSupplier(uri,
                new java.util.function.Supplier<InputStream>() {
                    @Override
                    public InputStream get() {
                        return new ByteArrayInputStream(bytes); // ImageLoader opens it three times
                    }
                });
        shadowOf(a).receiveResult(pick, Activity.RESULT_OK, new Intent().setData(uri));
        idleUntil(a, R.id.photo_status, "ms inference");
        String status = ((TextView) a.findViewById(R.id.photo_status)).getText().toString();
        assertTrue(status, status.startsWith("CPU (XNNPACK) \u00d7"));
        assertTrue(status, status.contains(" \u00b7 bisenetv2_int8_qat \u00b7 "));
        String legend = ((TextView) a.findViewById(R.id.photo_legend)).getText().toString();
        assertTrue(legend, legend.contains("Pole 100%")); // CamVid class 2, the whole picture
        ImageView segmented = (ImageView) a.findViewById(R.id.segmented);
        assertEquals(60, ((BitmapDrawable) segmented.getDrawable()).getBitmap().getWidth());
        assertEquals(40, ((BitmapDrawable) segmented.getDrawable()).getBitmap().getHeight());
        c.pause().stop().destroy();
    }

    @Test
    public void photoModeHidesTheCameraAndOpensTheDocumentPicker() {
        ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup();
        MainActivity a = c.get();
        ((RadioButton) a.findViewById(R.id.mode_photo)).performClick();
        assertEquals(View.GONE, a.findViewById(R.id.live_panel).getVisibility());
        assertEquals(View.VISIBLE, a.findViewById(R.id.photo_panel).getVisibility());
        a.findViewById(R.id.pick).performClick();
        Intent pick = shadowOf(a).getNextStartedActivity();
        assertEquals(Intent.ACTION_OPEN_DOCUMENT, pick.getAction());
        assertEquals("image/*", pick.getType());
        assertTrue(pick.hasCategory(Intent.CATEGORY_OPENABLE));
        ((RadioButton) a.findViewById(R.id.mode_live)).performClick();
        assertEquals(View.VISIBLE, a.findViewById(R.id.live_panel).getVisibility());
        c.pause().stop().destroy();
    }
}

package org.bisenetv2tf.demo;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

import android.Manifest;
import android.app.Activity;
import android.content.Intent;
import android.content.pm.PackageManager;
import android.graphics.SurfaceTexture;
import android.graphics.drawable.BitmapDrawable;
import android.net.Uri;
import android.os.Looper;
import android.view.TextureView;
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
 * own compiled resources and assets): layout, the model choice, mode switch, the document
 * picker, and what the screen shows when the model cannot load (LiteRT's JNI library is
 * Android-only, so on the JVM the real interpreter fails with a message).
 */
@RunWith(RobolectricTestRunner.class)
@Config(sdk = 34)
public class MainActivityTest {
    /** Stands in for LiteRT: every pixel gets class {@code cls}; records what was opened. */
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

    /**
     * The camera permission request: CameraSource asks from its camera thread, through
     * runOnUiThread, so it may come after setup() returns (seen on a busy machine).
     */
    private static ShadowActivity.PermissionsRequest permissionRequest(MainActivity a) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            shadowOf(Looper.getMainLooper()).idle();
            ShadowActivity.PermissionsRequest request = shadowOf(a).getLastRequestedPermission();
            if (request != null) {
                return request;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the camera permission was never requested");
    }

    @Test
    public void startsInLiveModeWithTheShippedModelsOnTheCpuAndAsksForTheCamera() throws Exception {
        ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup();
        MainActivity a = c.get();
        assertEquals(View.VISIBLE, a.findViewById(R.id.live_panel).getVisibility());
        assertEquals(View.GONE, a.findViewById(R.id.photo_panel).getVisibility());
        // the APK's models: INT8 QAT and FP16, no PTQ; no delegate choice
        Spinner models = (Spinner) a.findViewById(R.id.model);
        assertEquals(2, models.getAdapter().getCount());
        assertEquals("INT8 (QAT)", models.getAdapter().getItem(0));
        assertEquals("FP16", models.getAdapter().getItem(1));
        assertEquals(0, models.getSelectedItemPosition());
        TextView runtime = (TextView) a.findViewById(R.id.runtime_note);
        assertEquals(View.VISIBLE, runtime.getVisibility());
        String says = runtime.getText().toString();
        assertTrue(says, says.contains("GPU and NNAPI are not in this build"));
        ShadowActivity.PermissionsRequest request = permissionRequest(a);
        assertEquals(Manifest.permission.CAMERA, request.requestedPermissions[0]);
        // no LiteRT JNI library (libLiteRt.so) on the JVM: the load fails and the screen says so
        idleUntil(a, R.id.live_status, "Could not load the model");
        assertTrue(((TextView) a.findViewById(R.id.live_status)).getText().toString().contains("LiteRt"));
        c.pause().stop().destroy();
    }

    @Test
    public void choosingFp16RunsTheFp16ModelOnTheCpu() throws Exception {
        FakeEngines engines = new FakeEngines(0);
        MainActivity.engineFactoryForTests = engines;
        ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup();
        MainActivity a = c.get();
        idleUntil(a, R.id.live_status, "bisenetv2_int8_qat.tflite on CPU (XNNPACK)");
        ((Spinner) a.findViewById(R.id.model)).setSelection(1);
        idleUntil(a, R.id.live_status, "bisenetv2_fp16.tflite on CPU (XNNPACK)");
        assertEquals("CPU:bisenetv2_fp16.tflite", engines.opened.get(engines.opened.size() - 1));
        assertEquals(View.GONE, a.findViewById(R.id.note).getVisibility());
        c.pause().stop().destroy();
    }

    @Test
    public void theLiteRtFactoryRefusesGpuAndNnapiAsNotInThisBuild() throws Exception {
        for (Delegate d : new Delegate[] {Delegate.GPU, Delegate.NNAPI}) {
            try {
                new LiteRtEngineFactory(null).open("bisenetv2_fp16.tflite", null, d, 1);
                throw new AssertionError(d + " opened");
            } catch (UnsupportedOperationException e) {
                assertEquals(d.label + " is not in this build: LiteRT from Maven Central runs on the CPU (XNNPACK)"
                        + " only", e.getMessage());
            }
        }
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
        assertEquals(View.VISIBLE, a.findViewById(R.id.switch_lens).getVisibility());
        ((RadioButton) a.findViewById(R.id.mode_photo)).performClick();
        assertEquals(View.GONE, a.findViewById(R.id.live_panel).getVisibility());
        assertEquals(View.VISIBLE, a.findViewById(R.id.photo_panel).getVisibility());
        assertEquals("no lens switch in photo mode", View.GONE, a.findViewById(R.id.switch_lens).getVisibility());
        a.findViewById(R.id.pick).performClick();
        Intent pick = shadowOf(a).getNextStartedActivity();
        assertEquals(Intent.ACTION_OPEN_DOCUMENT, pick.getAction());
        assertEquals("image/*", pick.getType());
        assertTrue(pick.hasCategory(Intent.CATEGORY_OPENABLE));
        ((RadioButton) a.findViewById(R.id.mode_live)).performClick();
        assertEquals(View.VISIBLE, a.findViewById(R.id.live_panel).getVisibility());
        c.pause().stop().destroy();
    }

    /**
     * The camera path through the real Activity, CameraSource and Camera2Hardware (Robolectric's
     * camera2 has no camera and its TextureView never gets a surface, so the test gives it one):
     * the permission denied, then granted in the settings, and a device without a camera. The
     * messages come from the camera thread to the status line; the UI thread never waits.
     */
    @Test
    public void cameraPermissionDeniedThenGrantedThenNoCameraIsSaid() throws Exception {
        MainActivity.engineFactoryForTests = new FakeEngines(0);
        ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup();
        MainActivity a = c.get();
        idleUntil(a, R.id.live_status, "on CPU (XNNPACK)"); // the model first: its status line comes later otherwise
        TextureView preview = (TextureView) a.findViewById(R.id.preview);
        preview.getSurfaceTextureListener().onSurfaceTextureAvailable(new SurfaceTexture(0), 480, 640);
        assertNotNull(permissionRequest(a));
        a.onRequestPermissionsResult(1, new String[] {Manifest.permission.CAMERA},
                new int[] {PackageManager.PERMISSION_DENIED});
        idleUntil(a, R.id.live_status, CameraController.NO_PERMISSION);
        // granted later, in the system settings: the next resume sees it and opens the camera
        shadowOf(a.getApplication()).grantPermissions(Manifest.permission.CAMERA);
        c.pause().resume();
        idleUntil(a, R.id.live_status, CameraController.NO_CAMERA);
        c.pause().stop().destroy();
    }
}

package org.bisenetv2tf.demo;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

import android.Manifest;
import android.content.Intent;
import android.os.Looper;
import android.view.View;
import android.widget.RadioButton;
import android.widget.Spinner;
import android.widget.TextView;
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

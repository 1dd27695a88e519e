package org.bisenetv2tf.demo;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.bisenetv2tf.demo.CameraController.CameraInfo;
import org.bisenetv2tf.demo.CameraController.Facing;
import org.junit.Before;
import org.junit.Test;

/**
 * The camera's lifecycle on the JVM with a fake camera2: back only, front only, no camera,
 * both lenses, another app taking the camera mid-preview (reopen with backoff and on
 * availability), errors, pause/resume (also while camera2 is still opening), the permission
 * denied then granted, the surface going away, and that every failure closes the session,
 * the camera and the image reader.
 */
public class CameraControllerTest {
    static final CameraInfo BACK = new CameraInfo("0", Facing.BACK, 90, 640, 480, true);
    static final CameraInfo FRONT = new CameraInfo("1", Facing.FRONT, 270, 640, 480, false);

    /** camera2 as the controller sees it: what was asked, what is open. */
    static final class FakeCamera implements CameraController.Hardware {
        final List<CameraInfo> cameras = new ArrayList<CameraInfo>();
        final List<String> calls = new ArrayList<String>();
        boolean readerOpen;
        boolean deviceOpen;
        boolean sessionOpen;
        int lastToken;
        Exception failOpen;
        Exception failCameras;

        @Override
        public List<CameraInfo> cameras() throws Exception {
            if (failCameras != null) {
                throw failCameras;
            }
            return cameras;
        }

        @Override
        public void open(CameraInfo camera, int token) throws Exception {
            calls.add("open " + camera.id);
            readerOpen = true; // the reader comes first, as in Camera2Hardware
            if (failOpen != null) {
                readerOpen = false; // Hardware.open: nothing stays open on a throw
                throw failOpen;
            }
            lastToken = token;
        }

        @Override
        public void startSession(int token, boolean continuousAf) {
            calls.add("session af=" + continuousAf);
            sessionOpen = true;
        }

        @Override
        public void close() {
            if (readerOpen || deviceOpen || sessionOpen) {
                calls.add("close");
            }
            readerOpen = false;
            deviceOpen = false;
            sessionOpen = false;
        }

        boolean anythingOpen() {
            return readerOpen || deviceOpen || sessionOpen;
        }
    }

    static final class Ui implements CameraController.Listener {
        final List<String> log = new ArrayList<String>();
        CameraInfo streaming;

        @Override
        public void onCameraMessage(String message) {
            log.add("message " + message);
        }

        @Override
        public void onStreaming(CameraInfo camera) {
            streaming = camera;
            log.add("streaming " + camera.id);
        }

        @Override
        public void onStopped() {
            streaming = null;
            log.add("stopped");
        }

        @Override
        public void onPermissionNeeded() {
            log.add("ask permission");
        }
    }

    /** The camera Handler's postDelayed on a clock the test moves. */
    static final class Clock implements CameraController.Scheduler {
        final List<Object[]> tasks = new ArrayList<Object[]>();
        long now;

        @Override
        public Object schedule(Runnable task, long delayMs) {
            Object[] t = {now + delayMs, task, delayMs};
            tasks.add(t);
            return t;
        }

        @Override
        public void cancel(Object handle) {
            tasks.remove(handle);
        }

        /** Delays of the pending tasks. */
        List<Long> pending() {
            List<Long> d = new ArrayList<Long>();
            for (Object[] t : tasks) {
                d.add((Long) t[2]);
            }
            return d;
        }

        void advance(long ms) {
            now += ms;
            for (Iterator<Object[]> it = tasks.iterator(); it.hasNext(); ) {
                Object[] t = it.next();
                if ((Long) t[0] <= now) {
                    it.remove();
                    ((Runnable) t[1]).run();
                    advance(0);
                    return;
                }
            }
        }
    }

    FakeCamera hw;
    Ui ui;
    Clock clock;
    CameraController c;

    @Before
    public void setUp() {
        hw = new FakeCamera();
        ui = new Ui();
        clock = new Clock();
        c = new CameraController(hw, ui, clock);
    }

    /** What MainActivity does on start: permission, surface, resume. */
    void start() {
        c.setPermission(true);
        c.setSurface(true);
        c.setResumed(true);
    }

    /** camera2 answers: opened, then the session configured. */
    void cameraComesUp() {
        hw.deviceOpen = true;
        c.onOpened(hw.lastToken);
        c.onConfigured(hw.lastToken);
    }

    @Test
    public void backCameraOnly() {
        hw.cameras.add(BACK);
        start();
        assertEquals(Arrays.asList("open 0"), hw.calls);
        assertEquals(CameraController.State.OPENING, c.state());
        cameraComesUp();
        assertEquals(Arrays.asList("open 0", "session af=true"), hw.calls);
        assertEquals(CameraController.State.STREAMING, c.state());
        assertEquals(BACK, ui.streaming);
        assertEquals(Arrays.asList("streaming 0"), ui.log);
    }

    @Test
    public void frontCameraOnlyWithoutContinuousAutofocus() {
        hw.cameras.add(FRONT);
        start();
        cameraComesUp();
        assertEquals("AF mode only when the camera lists it", Arrays.asList("open 1", "session af=false"), hw.calls);
        assertTrue(ui.streaming.isFront());
        assertEquals(Facing.BACK, c.facing());
    }

    @Test
    public void noCameraIsAMessageAndNoRetry() {
        start();
        assertEquals(Arrays.asList("message " + CameraController.NO_CAMERA), ui.log);
        assertTrue(hw.calls.isEmpty());
        assertTrue(clock.tasks.isEmpty());
        assertEquals(CameraController.State.FAILED, c.state());
        c.setSurface(true);
        assertTrue("nothing changed: not tried again", hw.calls.isEmpty());
    }

    @Test
    public void aCameraWithoutYuvOutputIsAMessage() {
        hw.cameras.add(new CameraInfo("0", Facing.BACK, 90, 0, 0, true));
        start();
        assertEquals(Arrays.asList("message The camera offers no YUV_420_888 output."), ui.log);
        assertTrue(hw.calls.isEmpty());
    }

    @Test
    public void bothLensesBackFirstAndASwitchReopensOnTheOther() {
        hw.cameras.add(FRONT);
        hw.cameras.add(BACK);
        start();
        cameraComesUp();
        assertEquals(BACK, ui.streaming);
        c.setFacing(Facing.FRONT);
        assertEquals(Arrays.asList("open 0", "session af=true", "close", "open 1"), hw.calls);
        cameraComesUp();
        assertEquals(FRONT, ui.streaming);
        // a switch while camera2 is still opening: the old lens is closed when it answers
        c.setFacing(Facing.BACK);
        cameraComesUp();
        c.setFacing(Facing.FRONT);
        assertEquals("open 1", hw.calls.get(hw.calls.size() - 1));
        hw.calls.clear();
        c.setFacing(Facing.BACK); // camera2 has not answered for the front lens yet
        assertTrue("nothing to close yet", hw.calls.isEmpty());
        hw.deviceOpen = true;
        c.onOpened(hw.lastToken);
        assertEquals(Arrays.asList("close", "open 0"), hw.calls);
        cameraComesUp();
        assertEquals(BACK, ui.streaming);
    }

    @Test
    public void disconnectMidPreviewSaysSoClosesEverythingAndReopensWithBackoff() {
        hw.cameras.add(BACK);
        start();
        cameraComesUp();
        ui.log.clear();
        hw.calls.clear();
        c.onDisconnected(hw.lastToken); // another app took the camera
        assertFalse("session, camera and reader closed", hw.anythingOpen());
        assertEquals(Arrays.asList("stopped", "message " + CameraController.TAKEN), ui.log);
        assertEquals(CameraController.State.WAITING, c.state());
        assertEquals(Arrays.asList(500L), clock.pending());
        clock.advance(499);
        assertEquals(Arrays.asList("close"), hw.calls);
        clock.advance(1);
        assertEquals(Arrays.asList("close", "open 0"), hw.calls);
        c.onError(hw.lastToken, CameraController.ERROR_CAMERA_IN_USE); // still taken
        assertFalse(hw.anythingOpen());
        assertEquals("backing off", Arrays.asList(1000L), clock.pending());
        // the other app lets go: camera2 says it is available, and it reopens at once
        c.onCameraAvailable("0");
        assertTrue(clock.tasks.isEmpty());
        assertEquals("open 0", hw.calls.get(hw.calls.size() - 1));
        cameraComesUp();
        assertEquals(CameraController.State.STREAMING, c.state());
        assertEquals(BACK, ui.streaming);
        // the next loss starts from the first delay again
        c.onDisconnected(hw.lastToken);
        assertEquals(Arrays.asList(500L), clock.pending());
    }

    @Test
    public void retriesBackOffThenWaitForAvailabilityOrAResume() {
        hw.cameras.add(BACK);
        start();
        List<Long> delays = new ArrayList<Long>();
        for (int i = 0; i < CameraController.MAX_RETRIES; i++) {
            c.onError(hw.lastToken, CameraController.ERROR_CAMERA_IN_USE);
            delays.addAll(clock.pending());
            clock.advance(clock.pending().get(0));
        }
        assertEquals(Arrays.asList(500L, 1000L, 2000L, 4000L, 8000L, 8000L), delays);
        ui.log.clear();
        c.onError(hw.lastToken, CameraController.ERROR_CAMERA_IN_USE);
        assertTrue("no more timed retries", clock.tasks.isEmpty());
        assertEquals(Arrays.asList("stopped", "message " + CameraController.GAVE_UP), ui.log);
        int opens = hw.calls.size();
        c.onCameraAvailable("1");
        assertEquals("another camera's availability changes nothing", opens, hw.calls.size());
        c.onCameraAvailable("0");
        assertEquals("open 0", hw.calls.get(hw.calls.size() - 1));
        c.onError(hw.lastToken, CameraController.ERROR_CAMERA_IN_USE);
        c.setResumed(false);
        c.setResumed(true);
        assertEquals("a resume tries at once", "open 0", hw.calls.get(hw.calls.size() - 1));
    }

    @Test
    public void aFailingCameraDevicesOwnReleaseDoesNotSkipTheBackoff() {
        hw.cameras.add(BACK);
        start();
        cameraComesUp();
        hw.calls.clear();
        c.onError(hw.lastToken, CameraController.ERROR_CAMERA_DEVICE);
        assertEquals(Arrays.asList("close"), hw.calls);
        assertEquals("message The camera failed (error 4); reopening it.", ui.log.get(ui.log.size() - 1));
        c.onCameraAvailable("0"); // our own close made it available
        assertEquals(Arrays.asList("close"), hw.calls);
        clock.advance(500);
        assertEquals(Arrays.asList("close", "open 0"), hw.calls);
    }

    @Test
    public void disabledByPolicyWaitsForAResume() {
        hw.cameras.add(BACK);
        start();
        c.onError(hw.lastToken, CameraController.ERROR_CAMERA_DISABLED);
        assertFalse(hw.anythingOpen());
        assertEquals("message The camera is disabled by a device policy.", ui.log.get(ui.log.size() - 1));
        assertTrue(clock.tasks.isEmpty());
        c.setResumed(false);
        c.setResumed(true);
        assertEquals(Arrays.asList("open 0", "close", "open 0"), hw.calls);
    }

    @Test
    public void openThatThrowsLeavesNothingOpenAndRetries() {
        hw.cameras.add(BACK);
        hw.failOpen = new IllegalStateException("CAMERA_ERROR (3): connect: camera disabled");
        start();
        assertFalse("the image reader is closed too", hw.anythingOpen());
        assertEquals("message The camera is unavailable: CAMERA_ERROR (3): connect: camera disabled",
                ui.log.get(ui.log.size() - 1));
        assertEquals(Arrays.asList(500L), clock.pending());
        hw.failOpen = null;
        clock.advance(500);
        cameraComesUp();
        assertEquals(CameraController.State.STREAMING, c.state());
    }

    @Test
    public void aSessionThatCannotBeConfiguredIsClosedAndRetried() {
        hw.cameras.add(BACK);
        start();
        hw.deviceOpen = true;
        c.onOpened(hw.lastToken);
        c.onConfigureFailed(hw.lastToken);
        assertFalse(hw.anythingOpen());
        assertEquals("message The camera session could not be configured.", ui.log.get(ui.log.size() - 1));
        assertEquals(Arrays.asList(500L), clock.pending());
    }

    @Test
    public void pauseClosesResumeReopens() {
        hw.cameras.add(BACK);
        start();
        cameraComesUp();
        c.setResumed(false);
        assertFalse(hw.anythingOpen());
        assertEquals(CameraController.State.CLOSED, c.state());
        assertNull(ui.streaming);
        c.setResumed(true);
        assertEquals(Arrays.asList("open 0", "session af=true", "close", "open 0"), hw.calls);
        cameraComesUp();
        assertEquals(CameraController.State.STREAMING, c.state());
    }

    @Test
    public void pauseWhileCameraIsOpeningClosesItWhenItOpens() {
        hw.cameras.add(BACK);
        start();
        c.setResumed(false); // camera2 is still opening: nothing to close yet, and no waiting
        assertEquals(Arrays.asList("open 0"), hw.calls);
        hw.deviceOpen = true;
        c.onOpened(hw.lastToken);
        assertFalse("closed as soon as it opened", hw.anythingOpen());
        assertEquals(Arrays.asList("open 0", "close"), hw.calls);
        c.onConfigured(hw.lastToken); // stale: ignored
        assertNull(ui.streaming);
        // paused and resumed again before camera2 answered: the same open goes on
        c.setResumed(true);
        c.setResumed(false);
        c.setResumed(true);
        assertEquals(Arrays.asList("open 0", "close", "open 0"), hw.calls);
        cameraComesUp();
        assertEquals(CameraController.State.STREAMING, c.state());
    }

    @Test
    public void callbacksOfAnAttemptThatIsOverAreIgnored() {
        hw.cameras.add(BACK);
        start();
        int old = hw.lastToken;
        c.onError(old, CameraController.ERROR_CAMERA_DEVICE);
        clock.advance(500);
        hw.calls.clear();
        c.onOpened(old);
        c.onConfigured(old);
        c.onDisconnected(old);
        c.onError(old, CameraController.ERROR_CAMERA_SERVICE);
        assertTrue(hw.calls.isEmpty());
        assertEquals(CameraController.State.OPENING, c.state());
        cameraComesUp();
        assertEquals(CameraController.State.STREAMING, c.state());
    }

    @Test
    public void permissionDeniedThenGranted() {
        hw.cameras.add(BACK);
        c.setSurface(true);
        c.setPermission(false);
        c.setResumed(true);
        assertEquals(Arrays.asList("ask permission"), ui.log);
        c.setResumed(false); // the permission dialog pauses the screen
        c.onPermissionResult(false);
        c.setResumed(true);
        assertEquals("asked once; then it says what is missing", Arrays.asList("ask permission",
                "message " + CameraController.NO_PERMISSION), ui.log);
        assertTrue(hw.calls.isEmpty());
        // granted later (in the system settings): the next resume sees it
        c.setResumed(false);
        c.setPermission(true);
        c.setResumed(true);
        assertEquals(Arrays.asList("open 0"), hw.calls);
        cameraComesUp();
        assertEquals(CameraController.State.STREAMING, c.state());
    }

    @Test
    public void permissionGrantedFromTheDialogOpensAtOnce() {
        hw.cameras.add(BACK);
        c.setSurface(true);
        c.setResumed(true);
        assertEquals(Arrays.asList("ask permission"), ui.log);
        c.onPermissionResult(true);
        assertEquals(Arrays.asList("open 0"), hw.calls);
    }

    @Test
    public void aRevokedPermissionAtOpenIsAMessage() {
        hw.cameras.add(BACK);
        hw.failOpen = new SecurityException("Lacking privileges to access camera service");
        start();
        assertFalse(hw.anythingOpen());
        assertEquals("message " + CameraController.NO_PERMISSION, ui.log.get(ui.log.size() - 1));
        assertTrue("no retry loop", clock.tasks.isEmpty());
    }

    @Test
    public void thePreviewSurfaceGoingAwayClosesAndItsReturnReopens() {
        hw.cameras.add(BACK);
        c.setPermission(true);
        c.setResumed(true);
        assertTrue("no surface yet: not opened", hw.calls.isEmpty());
        c.setSurface(true);
        cameraComesUp();
        c.setSurface(false);
        assertFalse(hw.anythingOpen());
        c.setSurface(true);
        assertEquals(Arrays.asList("open 0", "session af=true", "close", "open 0"), hw.calls);
    }

    @Test
    public void photoModeClosesTheCameraAndLiveModeReopensIt() {
        hw.cameras.add(BACK);
        start();
        cameraComesUp();
        c.setLive(false);
        assertFalse(hw.anythingOpen());
        c.setLive(true);
        assertEquals("open 0", hw.calls.get(hw.calls.size() - 1));
        assertNotNull(c.camera());
    }

    @Test
    public void aPauseCancelsAPendingRetry() {
        hw.cameras.add(BACK);
        start();
        c.onDisconnected(hw.lastToken);
        assertEquals(1, clock.tasks.size());
        c.setResumed(false);
        assertTrue(clock.tasks.isEmpty());
        assertEquals(CameraController.State.CLOSED, c.state());
    }
}

package org.bisenetv2tf.demo;

import java.util.List;

/**
 * The live camera's lifecycle as a state machine, in plain Java over a {@link Hardware}
 * interface (camera2 in the app: {@link Camera2Hardware}; a fake in the JVM tests).
 *
 * <p>The camera is wanted while the screen is resumed, in live mode, with the camera
 * permission and a preview surface; the controller opens it when it becomes wanted and
 * closes it when it stops being wanted. Failures are reported once, as a message:
 * <ul>
 *   <li>another app takes the camera ({@code onDisconnected}) or camera2 reports an error:
 *       everything is closed (session, device, image reader) and the camera is reopened with
 *       backoff (0.5 s, 1 s, 2 s, ... 8 s, at most {@link #MAX_RETRIES} times), at once when
 *       camera2 says the camera another app held is available again, and when the screen is
 *       resumed;</li>
 *   <li>a camera disabled by policy waits for availability or the next resume;</li>
 *   <li>no camera, no YUV output, no permission: a message and no retry.</li>
 * </ul>
 * Open and close never overlap: a close requested while camera2 is still opening is done when
 * its callback arrives, and callbacks of an attempt that is over (stale tokens) are ignored.
 * Every method and callback runs on the one camera thread (the app's camera {@code Handler};
 * the UI thread posts to it and never waits). Continuous autofocus is asked for only when the
 * camera lists it. The back camera is preferred; {@link #setFacing} switches lenses.
 */
public final class CameraController {
    /** Retries after a failure before waiting for availability or a resume. */
    public static final int MAX_RETRIES = 6;
    static final long FIRST_RETRY_MS = 500;
    static final long MAX_RETRY_MS = 8000;

    // camera2's CameraDevice.StateCallback error codes
    static final int ERROR_CAMERA_IN_USE = 1;
    static final int ERROR_MAX_CAMERAS_IN_USE = 2;
    static final int ERROR_CAMERA_DISABLED = 3;
    static final int ERROR_CAMERA_DEVICE = 4;
    static final int ERROR_CAMERA_SERVICE = 5;

    static final String NO_CAMERA = "This device has no camera.";
    static final String NO_PERMISSION = "The live mode needs the camera permission.";
    static final String TAKEN = "Another app is using the camera. The preview comes back when it is free.";
    static final String GAVE_UP = "Could not reopen the camera; it is tried again when it is free or when you come"
            + " back to the app.";

    public enum Facing { BACK, FRONT, EXTERNAL }

    /** One camera as the app sees it. */
    public static final class CameraInfo {
        public final String id;
        public final Facing facing;
        /** camera2's SENSOR_ORIENTATION. */
        public final int sensorOrientation;
        /** The stream size the app would use (4:3 near 640x480); 0 when there is no YUV output. */
        public final int width;
        public final int height;
        /** CONTROL_AF_MODE_CONTINUOUS_VIDEO is among CONTROL_AF_AVAILABLE_MODES. */
        public final boolean continuousAf;

        public CameraInfo(String id, Facing facing, int sensorOrientation, int width, int height,
                          boolean continuousAf) {
            this.id = id;
            this.facing = facing;
            this.sensorOrientation = sensorOrientation;
            this.width = width;
            this.height = height;
            this.continuousAf = continuousAf;
        }

        public boolean isFront() {
            return facing == Facing.FRONT;
        }

        @Override
        public String toString() {
            return id + " " + facing + " " + width + "x" + height + " sensor " + sensorOrientation;
        }
    }

    /** What the controller asks of camera2. Called on the camera thread only. */
    public interface Hardware {
        List<CameraInfo> cameras() throws Exception;

        /**
         * Creates the image reader and opens the camera; the outcome arrives as
         * {@link CameraController#onOpened}, {@link CameraController#onDisconnected} or
         * {@link CameraController#onError} with {@code token}. On a throw nothing stays open.
         */
        void open(CameraInfo camera, int token) throws Exception;

        /**
         * Starts the preview + reader session on the opened camera (continuous AF only when
         * {@code continuousAf}); the outcome arrives as {@link CameraController#onConfigured} or
         * {@link CameraController#onConfigureFailed} with {@code token}.
         */
        void startSession(int token, boolean continuousAf) throws Exception;

        /** Closes the session, the camera and the image reader, whichever are open. Never throws. */
        void close();
    }

    /** What the controller tells the app. Called on the camera thread. */
    public interface Listener {
        /** A message for the live status line. */
        void onCameraMessage(String message);

        /** Frames flow from {@code camera} (set up the preview transform, the frame rotation). */
        void onStreaming(CameraInfo camera);

        /** The preview stopped (the mask over it is stale). */
        void onStopped();

        /** The live mode wants the camera and has no permission: ask once. */
        void onPermissionNeeded();
    }

    /** Delayed work (the camera Handler's postDelayed). */
    public interface Scheduler {
        /** Runs {@code task} after {@code delayMs} on the camera thread; returns a handle for {@link #cancel}. */
        Object schedule(Runnable task, long delayMs);

        void cancel(Object handle);
    }

    enum State {
        /** Nothing open or opening. */
        CLOSED,
        /** camera2 is opening the camera. */
        OPENING,
        /** The camera is open; the session is being configured (or waits for the surface). */
        CONFIGURING,
        STREAMING,
        /** After a failure: closed; a retry is scheduled, or (retries used up) waits for availability. */
        WAITING,
        /** Closed for good until something changes: no camera, no YUV output, disabled by policy. */
        FAILED
    }

    private final Hardware hardware;
    private final Listener listener;
    private final Scheduler scheduler;

    private State state = State.CLOSED;
    private boolean resumed;
    private boolean live = true;
    private boolean permission;
    private boolean permissionAsked;
    private boolean surface;
    private Facing facing = Facing.BACK;
    private CameraInfo camera;
    private int token;
    private int failures;
    private Object retry;
    /** The last failure was another app holding the camera: its release (availability) reopens. */
    private boolean waitingForRelease;
    /** The lens changed while camera2 was opening the old one. */
    private boolean reopen;

    public CameraController(Hardware hardware, Listener listener, Scheduler scheduler) {
        this.hardware = hardware;
        this.listener = listener;
        this.scheduler = scheduler;
    }

    // ---- inputs from the Activity (posted to the camera thread)

    /** onResume (true) / onPause (false). */
    public void setResumed(boolean resumed) {
        this.resumed = resumed;
        if (resumed) {
            giveAnotherChance();
            askOrTell();
        }
        update();
    }

    /** Live mode (true) or photo mode. */
    public void setLive(boolean live) {
        this.live = live;
        if (live) {
            askOrTell();
        }
        update();
    }

    /** The permission as it is now (checked on each resume). */
    public void setPermission(boolean granted) {
        boolean was = permission;
        permission = granted;
        if (granted && !was) {
            giveAnotherChance();
        }
        update();
    }

    /** The user answered the permission request. */
    public void onPermissionResult(boolean granted) {
        setPermission(granted);
        if (!granted && resumed && live) {
            listener.onCameraMessage(NO_PERMISSION);
        }
    }

    /** Asks for the permission once per screen; after that, says it is missing. */
    private void askOrTell() {
        if (!resumed || !live || permission) {
            return;
        }
        if (!permissionAsked) {
            permissionAsked = true; // onResume follows the permission dialog: ask once
            listener.onPermissionNeeded();
        } else {
            listener.onCameraMessage(NO_PERMISSION);
        }
    }

    /** The preview surface exists (TextureView's onSurfaceTextureAvailable / Destroyed). */
    public void setSurface(boolean available) {
        surface = available;
        update();
    }

    /** Which lens to use; the other one when the device lacks it. */
    public void setFacing(Facing f) {
        if (f == facing) {
            return;
        }
        facing = f;
        if (state == State.OPENING) {
            reopen = true; // camera2 is opening the old lens: closed and reopened when it answers
        } else if (state != State.CLOSED) {
            boolean wasOpen = state == State.CONFIGURING || state == State.STREAMING;
            closeAll(State.CLOSED); // reopened on the new lens by update()
            if (wasOpen) {
                listener.onStopped();
            }
        }
        failures = 0;
        update();
    }

    public Facing facing() {
        return facing;
    }

    /** The camera in use (or last used), null before the first. */
    public CameraInfo camera() {
        return camera;
    }

    State state() {
        return state;
    }

    boolean wanted() {
        return resumed && live && permission;
    }

    // ---- camera2 callbacks (from the Hardware, on the camera thread)

    public void onOpened(int t) {
        if (t != token || state != State.OPENING) {
            return;
        }
        state = State.CONFIGURING;
        if (!wanted() || !surface || reopen) {
            // stopped, or the surface went, or the lens changed while camera2 was opening
            reopen = false;
            closeAll(State.CLOSED);
            update();
            return;
        }
        try {
            hardware.startSession(token, camera.continuousAf);
        } catch (Throwable e) {
            failed("The camera preview failed: " + SegmentationController.message(e), false);
        }
    }

    public void onConfigured(int t) {
        if (t != token || state != State.CONFIGURING) {
            return;
        }
        state = State.STREAMING;
        failures = 0;
        listener.onStreaming(camera);
    }

    public void onConfigureFailed(int t) {
        if (t != token || state != State.CONFIGURING) {
            return;
        }
        failed("The camera session could not be configured.", false);
    }

    /** Another app (or the system) took the camera. */
    public void onDisconnected(int t) {
        if (t != token || state == State.CLOSED || state == State.WAITING || state == State.FAILED) {
            return;
        }
        failed(TAKEN, true);
    }

    public void onError(int t, int code) {
        if (t != token || state == State.CLOSED || state == State.WAITING || state == State.FAILED) {
            return;
        }
        switch (code) {
            case ERROR_CAMERA_IN_USE:
                failed(TAKEN, true);
                break;
            case ERROR_MAX_CAMERAS_IN_USE:
                failed("Too many cameras are open in other apps. The preview comes back when one is free.", true);
                break;
            case ERROR_CAMERA_DISABLED:
                closeAll(State.FAILED);
                listener.onStopped();
                listener.onCameraMessage("The camera is disabled by a device policy.");
                break;
            case ERROR_CAMERA_DEVICE:
                failed("The camera failed (error " + code + "); reopening it.", false);
                break;
            default:
                failed("The camera service failed (error " + code + "); reopening it.", false);
                break;
        }
    }

    /**
     * camera2's AvailabilityCallback: a camera was closed by its last user. Reopens at once when
     * it is the camera another app had taken (not after other failures: closing our own camera
     * makes it available too, and that must not skip the backoff).
     */
    public void onCameraAvailable(String id) {
        if (state == State.WAITING && waitingForRelease && camera != null && camera.id.equals(id)) {
            cancelRetry();
            state = State.CLOSED; // the failure count stays: a camera that fails again backs off further
            update();
        }
    }

    // ---- the machine

    /** A resume or a new permission: a failed or waiting camera is tried again at once. */
    private void giveAnotherChance() {
        failures = 0;
        if (state == State.WAITING || state == State.FAILED) {
            cancelRetry();
            state = State.CLOSED;
        }
    }

    private void update() {
        boolean wanted = wanted();
        switch (state) {
            case CLOSED:
                if (wanted && surface) {
                    openNow();
                }
                break;
            case OPENING:
                break; // onOpened decides
            case CONFIGURING:
            case STREAMING:
                if (!wanted || !surface) {
                    closeAll(State.CLOSED);
                    listener.onStopped();
                    if (wanted) {
                        break; // waits for the surface in CLOSED
                    }
                }
                break;
            case WAITING:
                if (!wanted) {
                    cancelRetry();
                    state = State.CLOSED;
                }
                break;
            default: // FAILED
                if (!wanted) {
                    state = State.CLOSED;
                }
                break;
        }
    }

    private void openNow() {
        List<CameraInfo> all;
        try {
            all = hardware.cameras();
        } catch (Exception e) {
            failed("The camera is unavailable: " + SegmentationController.message(e), false);
            return;
        }
        CameraInfo pick = pick(all, facing);
        if (pick == null) {
            state = State.FAILED;
            listener.onCameraMessage(NO_CAMERA);
            return;
        }
        if (pick.width <= 0 || pick.height <= 0) {
            state = State.FAILED;
            listener.onCameraMessage("The camera offers no YUV_420_888 output.");
            return;
        }
        camera = pick;
        token++;
        state = State.OPENING;
        try {
            hardware.open(pick, token);
        } catch (Throwable e) { // CameraAccessException, SecurityException, IllegalArgumentException, ...
            if (e instanceof SecurityException) {
                hardware.close();
                state = State.CLOSED;
                permission = false;
                listener.onCameraMessage(NO_PERMISSION);
                return;
            }
            failed("The camera is unavailable: " + SegmentationController.message(e), false);
        }
    }

    /** The preferred lens, else the back one, else any. */
    static CameraInfo pick(List<CameraInfo> cameras, Facing preferred) {
        CameraInfo back = null;
        CameraInfo any = null;
        for (CameraInfo c : cameras) {
            if (c.facing == preferred) {
                return c;
            }
            if (c.facing == Facing.BACK && back == null) {
                back = c;
            }
            if (any == null) {
                any = c;
            }
        }
        return back != null ? back : any;
    }

    /**
     * Closes everything and retries with backoff, or waits when the retries are used up.
     * {@code taken}: another app holds the camera (its release reopens at once).
     */
    private void failed(String message, boolean taken) {
        closeAll(State.WAITING);
        listener.onStopped();
        waitingForRelease = taken;
        failures++;
        if (!wanted()) {
            state = State.CLOSED;
            return;
        }
        if (failures > MAX_RETRIES) {
            listener.onCameraMessage(GAVE_UP);
            return; // availability or a resume gives it another chance
        }
        listener.onCameraMessage(message);
        long delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(failures - 1, 10));
        retry = scheduler.schedule(new Runnable() {
            @Override
            public void run() {
                retry = null;
                if (state == State.WAITING) {
                    state = State.CLOSED;
                    update();
                }
            }
        }, delay);
    }

    private void closeAll(State next) {
        cancelRetry();
        token++; // callbacks of the attempt being closed are stale from now on
        hardware.close();
        state = next;
    }

    private void cancelRetry() {
        if (retry != null) {
            scheduler.cancel(retry);
            retry = null;
        }
    }
}

package org.bisenetv2tf.demo;

import android.graphics.ImageFormat;
import android.graphics.SurfaceTexture;
import android.hardware.camera2.CameraAccessException;
import android.hardware.camera2.CameraCaptureSession;
import android.hardware.camera2.CameraCharacteristics;
import android.hardware.camera2.CameraDevice;
import android.hardware.camera2.CameraManager;
import android.hardware.camera2.CaptureRequest;
import android.hardware.camera2.params.StreamConfigurationMap;
import android.media.ImageReader;
import android.os.Handler;
import android.util.Size;
import android.view.Surface;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link CameraController.Hardware} on camera2: the camera list, an {@link ImageReader}
 * (YUV_420_888, at most two images) and the camera device, and the preview + reader session.
 * Everything runs on the camera thread ({@code handler}); camera2's callbacks are forwarded to
 * the controller with the token of the attempt they belong to, and a device that answers for
 * an attempt that is over is closed on the spot.
 */
final class Camera2Hardware implements CameraController.Hardware {
    private static final int TARGET_WIDTH = 640;
    private static final int TARGET_HEIGHT = 480;

    private final CameraManager manager;
    private final Handler handler;
    private final ImageReader.OnImageAvailableListener frames;
    private CameraController controller;

    private SurfaceTexture texture;
    private int token;
    private CameraController.CameraInfo camera;
    private ImageReader reader;
    private CameraDevice device;
    private CameraCaptureSession session;
    private Surface previewSurface;

    Camera2Hardware(CameraManager manager, Handler handler, ImageReader.OnImageAvailableListener frames) {
        this.manager = manager;
        this.handler = handler;
        this.frames = frames;
    }

    void setController(CameraController controller) {
        this.controller = controller;
    }

    /** The preview's texture (camera thread), or null when it is gone. */
    void setSurfaceTexture(SurfaceTexture texture) {
        this.texture = texture;
    }

    @Override
    public List<CameraController.CameraInfo> cameras() throws CameraAccessException {
        List<CameraController.CameraInfo> out = new ArrayList<CameraController.CameraInfo>();
        for (String id : manager.getCameraIdList()) {
            CameraCharacteristics ch = manager.getCameraCharacteristics(id);
            Integer facing = ch.get(CameraCharacteristics.LENS_FACING);
            Integer orientation = ch.get(CameraCharacteristics.SENSOR_ORIENTATION);
            StreamConfigurationMap map = ch.get(CameraCharacteristics.SCALER_STREAM_CONFIGURATION_MAP);
            Size[] yuv = map == null ? null : map.getOutputSizes(ImageFormat.YUV_420_888);
            Size[] previewSizes = map == null ? null : map.getOutputSizes(SurfaceTexture.class);
            Size size = yuv == null || yuv.length == 0 || previewSizes == null ? null : chooseSize(yuv, previewSizes);
            int[] af = ch.get(CameraCharacteristics.CONTROL_AF_AVAILABLE_MODES);
            boolean continuousAf = false;
            if (af != null) {
                for (int mode : af) {
                    continuousAf |= mode == CameraCharacteristics.CONTROL_AF_MODE_CONTINUOUS_VIDEO;
                }
            }
            CameraController.Facing f = facing == null ? CameraController.Facing.EXTERNAL
                    : facing == CameraCharacteristics.LENS_FACING_BACK ? CameraController.Facing.BACK
                    : facing == CameraCharacteristics.LENS_FACING_FRONT ? CameraController.Facing.FRONT
                    : CameraController.Facing.EXTERNAL;
            out.add(new CameraController.CameraInfo(id, f, orientation == null ? 0 : orientation,
                    size == null ? 0 : size.getWidth(), size == null ? 0 : size.getHeight(), continuousAf));
        }
        return out;
    }

    /** A 4:3 size offered for both outputs, closest in area to 640x480 (any shared size otherwise). */
    static Size chooseSize(Size[] yuv, Size[] previewSizes) {
        Size best = null;
        long bestScore = Long.MAX_VALUE;
        long target = (long) TARGET_WIDTH * TARGET_HEIGHT;
        for (Size s : yuv) {
            if (!Arrays.asList(previewSizes).contains(s)) {
                continue;
            }
            boolean fourByThree = s.getWidth() * 3 == s.getHeight() * 4;
            long score = Math.abs((long) s.getWidth() * s.getHeight() - target) + (fourByThree ? 0 : 1L << 40);
            if (score < bestScore) {
                bestScore = score;
                best = s;
            }
        }
        return best != null ? best : yuv[0];
    }

    @Override
    public void open(CameraController.CameraInfo cam, int t) throws CameraAccessException {
        close();
        token = t;
        camera = cam;
        try {
            reader = ImageReader.newInstance(cam.width, cam.height, ImageFormat.YUV_420_888, 2);
            reader.setOnImageAvailableListener(frames, handler);
            manager.openCamera(cam.id, new DeviceCallback(t), handler);
        } catch (CameraAccessException | RuntimeException e) { // SecurityException, IllegalArgumentException, ...
            close(); // the reader too
            throw e;
        }
    }

    @Override
    public void startSession(final int t, final boolean continuousAf) throws CameraAccessException {
        if (device == null || texture == null || reader == null) {
            throw new IllegalStateException("no camera or no preview surface");
        }
        texture.setDefaultBufferSize(camera.width, camera.height);
        previewSurface = new Surface(texture);
        final Surface preview = previewSurface;
        final Surface frameSurface = reader.getSurface();
        device.createCaptureSession(Arrays.asList(preview, frameSurface), new CameraCaptureSession.StateCallback() {
            @Override
            public void onConfigured(CameraCaptureSession s) {
                if (t != token || device == null) {
                    s.close();
                    return;
                }
                session = s;
                try {
                    CaptureRequest.Builder b = device.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW);
                    b.addTarget(preview);
                    b.addTarget(frameSurface);
                    if (continuousAf) {
                        b.set(CaptureRequest.CONTROL_AF_MODE, CaptureRequest.CONTROL_AF_MODE_CONTINUOUS_VIDEO);
                    }
                    s.setRepeatingRequest(b.build(), null, handler);
                } catch (CameraAccessException | RuntimeException e) {
                    controller.onConfigureFailed(t);
                    return;
                }
                controller.onConfigured(t);
            }

            @Override
            public void onConfigureFailed(CameraCaptureSession s) {
                if (t == token) {
                    controller.onConfigureFailed(t);
                }
            }
        }, handler);
    }

    @Override
    public void close() {
        token = 0; // callbacks of this attempt are stale from now on
        if (session != null) {
            try {
                session.close();
            } catch (RuntimeException ignored) {
                // the device is already gone
            }
            session = null;
        }
        if (device != null) {
            device.close();
            device = null;
        }
        if (reader != null) {
            reader.close();
            reader = null;
        }
        if (previewSurface != null) {
            previewSurface.release();
            previewSurface = null;
        }
    }

    /** camera2's device callbacks for attempt {@code t}. */
    private final class DeviceCallback extends CameraDevice.StateCallback {
        private final int t;

        DeviceCallback(int t) {
            this.t = t;
        }

        private boolean current(CameraDevice d) {
            if (t != token) {
                d.close(); // an attempt that is over: never leave a device open
                return false;
            }
            device = d;
            return true;
        }

        @Override
        public void onOpened(CameraDevice d) {
            if (current(d)) {
                controller.onOpened(t);
            }
        }

        @Override
        public void onDisconnected(CameraDevice d) {
            if (current(d)) {
                controller.onDisconnected(t);
            }
        }

        @Override
        public void onError(CameraDevice d, int error) {
            if (current(d)) {
                controller.onError(t, error);
            }
        }
    }
}

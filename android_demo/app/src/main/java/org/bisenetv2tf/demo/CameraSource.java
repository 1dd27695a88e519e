package org.bisenetv2tf.demo;

import android.app.Activity;
import android.content.Context;
import android.graphics.ImageFormat;
import android.graphics.Matrix;
import android.graphics.RectF;
import android.graphics.SurfaceTexture;
import android.hardware.camera2.CameraAccessException;
import android.hardware.camera2.CameraCaptureSession;
import android.hardware.camera2.CameraCharacteristics;
import android.hardware.camera2.CameraDevice;
import android.hardware.camera2.CameraManager;
import android.hardware.camera2.CaptureRequest;
import android.hardware.camera2.params.StreamConfigurationMap;
import android.media.Image;
import android.media.ImageReader;
import android.os.Handler;
import android.os.HandlerThread;
import android.util.Log;
import android.util.Size;
import android.view.Surface;
import android.view.TextureView;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.bisenetv2tf.core.ViewGeometry;
import org.bisenetv2tf.core.YuvConverter;

/**
 * The live camera on camera2: a {@link TextureView} preview and an {@link ImageReader}
 * (YUV_420_888, 4:3, about 640x480) whose frames go to the controller. Back-pressure: the
 * reader keeps at most two images and {@code acquireLatestImage} drops older ones; a frame is
 * converted only when {@link SegmentationController#tryBeginFrame} accepts it (no frame in
 * flight), otherwise it is released at once. Frames are never queued.
 *
 * <p>The preview is shown fit-centred (the whole frame the model sees is visible), and the
 * frame's rotation to upright is {@code sensorOrientation - displayRotation} for the back camera,
 * so the mask lines up with the preview (see {@link OverlayView}).
 */
final class CameraSource {
    private static final String TAG = "CameraSource";
    private static final int TARGET_WIDTH = 640;
    private static final int TARGET_HEIGHT = 480;

    interface ErrorCallback {
        void onCameraError(String message);
    }

    private final Activity activity;
    private final TextureView preview;
    private final SegmentationController controller;
    private final ErrorCallback errors;

    /** Held from openCamera until its callback, and while closing: open and close never overlap. */
    private final Semaphore openClose = new Semaphore(1);
    private HandlerThread thread;
    private volatile boolean opening;
    private Handler handler;
    private volatile CameraDevice device;
    private volatile CameraCaptureSession session;
    private ImageReader reader;
    private Size size;
    private int sensorOrientation;
    private boolean frontFacing;
    /** The accepted frame's pixels; reused only after the controller finished with it. */
    private int[] argb;

    CameraSource(Activity activity, TextureView preview, SegmentationController controller, ErrorCallback errors) {
        this.activity = activity;
        this.preview = preview;
        this.controller = controller;
        this.errors = errors;
        preview.setSurfaceTextureListener(new TextureView.SurfaceTextureListener() {
            @Override
            public void onSurfaceTextureAvailable(SurfaceTexture surface, int width, int height) {
                open(); // when started; the surface comes back each time the live panel is shown
            }

            @Override
            public void onSurfaceTextureSizeChanged(SurfaceTexture surface, int width, int height) {
                updateTransform();
            }

            @Override
            public boolean onSurfaceTextureDestroyed(SurfaceTexture surface) {
                return true;
            }

            @Override
            public void onSurfaceTextureUpdated(SurfaceTexture surface) {
            }
        });
    }

    /** Opens the camera now or once the preview surface exists (main thread). */
    void start() {
        if (thread != null) {
            return;
        }
        thread = new HandlerThread("camera");
        thread.start();
        handler = new Handler(thread.getLooper());
        if (preview.isAvailable()) {
            open();
        }
    }

    /** Closes the camera (main thread). */
    void stop() {
        try {
            if (!openClose.tryAcquire(3, TimeUnit.SECONDS)) {
                Log.w(TAG, "camera still opening; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        opening = false;
        if (session != null) {
            session.close();
            session = null;
        }
        if (device != null) {
            device.close();
            device = null;
        }
        openClose.release();
        if (thread != null) {
            // let a frame being converted on the camera thread finish before its reader goes
            thread.quitSafely();
            try {
                thread.join(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            thread = null;
            handler = null;
        }
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }

    private void open() {
        if (thread == null || device != null || opening) {
            return;
        }
        CameraManager manager = (CameraManager) activity.getSystemService(Context.CAMERA_SERVICE);
        try {
            String id = pickCamera(manager);
            if (id == null) {
                errors.onCameraError("This device has no camera");
                return;
            }
            CameraCharacteristics ch = manager.getCameraCharacteristics(id);
            StreamConfigurationMap map = ch.get(CameraCharacteristics.SCALER_STREAM_CONFIGURATION_MAP);
            Integer orientation = ch.get(CameraCharacteristics.SENSOR_ORIENTATION);
            Integer facing = ch.get(CameraCharacteristics.LENS_FACING);
            sensorOrientation = orientation == null ? 0 : orientation;
            frontFacing = facing != null && facing == CameraCharacteristics.LENS_FACING_FRONT;
            Size[] yuv = map == null ? null : map.getOutputSizes(ImageFormat.YUV_420_888);
            Size[] previewSizes = map == null ? null : map.getOutputSizes(SurfaceTexture.class);
            if (yuv == null || yuv.length == 0 || previewSizes == null) {
                errors.onCameraError("The camera offers no YUV_420_888 output");
                return;
            }
            size = chooseSize(yuv, previewSizes);
            reader = ImageReader.newInstance(size.getWidth(), size.getHeight(), ImageFormat.YUV_420_888, 2);
            reader.setOnImageAvailableListener(new ImageReader.OnImageAvailableListener() {
                @Override
                public void onImageAvailable(ImageReader r) {
                    onFrame(r);
                }
            }, handler);
            updateTransform();
            if (!openClose.tryAcquire(3, TimeUnit.SECONDS)) {
                errors.onCameraError("Camera busy");
                return;
            }
            opening = true;
            manager.openCamera(id, new CameraDevice.StateCallback() {
                @Override
                public void onOpened(CameraDevice camera) {
                    opening = false;
                    device = camera;
                    openClose.release();
                    startSession();
                }

                @Override
                public void onDisconnected(CameraDevice camera) {
                    opening = false;
                    camera.close();
                    device = null;
                    openClose.release();
                }

                @Override
                public void onError(CameraDevice camera, int error) {
                    opening = false;
                    camera.close();
                    device = null;
                    openClose.release();
                    errors.onCameraError("Camera error " + error);
                }
            }, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (CameraAccessException | SecurityException | IllegalArgumentException e) {
            if (opening) {
                opening = false;
                openClose.release();
            }
            Log.e(TAG, "camera unavailable", e);
            errors.onCameraError("Camera unavailable: " + e.getMessage());
        }
    }

    private static String pickCamera(CameraManager manager) throws CameraAccessException {
        String[] ids = manager.getCameraIdList();
        for (String id : ids) {
            Integer facing = manager.getCameraCharacteristics(id).get(CameraCharacteristics.LENS_FACING);
            if (facing != null && facing == CameraCharacteristics.LENS_FACING_BACK) {
                return id;
            }
        }
        return ids.length > 0 ? ids[0] : null;
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

    private void startSession() {
        SurfaceTexture texture = preview.getSurfaceTexture();
        if (texture == null || device == null) {
            return;
        }
        texture.setDefaultBufferSize(size.getWidth(), size.getHeight());
        final Surface previewSurface = new Surface(texture);
        final Surface readerSurface = reader.getSurface();
        try {
            device.createCaptureSession(Arrays.asList(previewSurface, readerSurface),
                    new CameraCaptureSession.StateCallback() {
                        @Override
                        public void onConfigured(CameraCaptureSession s) {
                            if (device == null) {
                                return;
                            }
                            session = s;
                            try {
                                CaptureRequest.Builder b = device.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW);
                                b.addTarget(previewSurface);
                                b.addTarget(readerSurface);
                                b.set(CaptureRequest.CONTROL_AF_MODE, CaptureRequest.CONTROL_AF_MODE_CONTINUOUS_VIDEO);
                                s.setRepeatingRequest(b.build(), null, handler);
                            } catch (CameraAccessException | IllegalStateException e) {
                                errors.onCameraError("Camera preview failed: " + e.getMessage());
                            }
                        }

                        @Override
                        public void onConfigureFailed(CameraCaptureSession s) {
                            errors.onCameraError("Camera session could not be configured");
                        }
                    }, handler);
        } catch (CameraAccessException | IllegalStateException e) {
            errors.onCameraError("Camera session failed: " + e.getMessage());
        }
    }

    /** Camera thread: drop or convert and hand over. */
    private void onFrame(ImageReader r) {
        Image image = r.acquireLatestImage();
        if (image == null) {
            return;
        }
        try {
            if (!controller.tryBeginFrame()) {
                return; // dropped: a frame is in flight (or photo mode / model loading)
            }
            boolean submitted = false;
            try {
                int w = image.getWidth();
                int h = image.getHeight();
                if (argb == null || argb.length != w * h) {
                    argb = new int[w * h];
                }
                Image.Plane[] p = image.getPlanes();
                YuvConverter.toArgb(p[0].getBuffer(), p[0].getRowStride(), p[0].getPixelStride(),
                        p[1].getBuffer(), p[2].getBuffer(), p[1].getRowStride(), p[1].getPixelStride(), w, h, argb);
                controller.submitFrame(argb, w, h, frameRotation());
                submitted = true;
            } catch (IllegalStateException e) {
                Log.w(TAG, "camera image gone while converting", e); // the camera is closing
            } finally {
                if (!submitted) {
                    controller.cancelFrame();
                }
            }
        } finally {
            image.close();
        }
    }

    private int displayRotationDegrees() {
        switch (activity.getWindowManager().getDefaultDisplay().getRotation()) {
            case Surface.ROTATION_90: return 90;
            case Surface.ROTATION_180: return 180;
            case Surface.ROTATION_270: return 270;
            default: return 0;
        }
    }

    /** Clockwise rotation that makes the sensor image upright on the current display. */
    int frameRotation() {
        int display = displayRotationDegrees();
        return frontFacing ? (sensorOrientation + display) % 360 : (sensorOrientation - display + 360) % 360;
    }

    /** Shows the preview fit-centred and upright; call when the view or the display changes. */
    void updateTransform() {
        if (size == null) {
            return;
        }
        final int rotation = frameRotation();
        activity.runOnUiThread(new Runnable() {
            @Override
            public void run() {
                applyTransform(rotation);
            }
        });
    }

    private void applyTransform(int frameRotation) {
        int viewW = preview.getWidth();
        int viewH = preview.getHeight();
        if (viewW == 0 || viewH == 0 || size == null) {
            return;
        }
        int display = activity.getWindowManager().getDefaultDisplay().getRotation();
        Matrix matrix = new Matrix();
        RectF viewRect = new RectF(0, 0, viewW, viewH);
        float cx = viewRect.centerX();
        float cy = viewRect.centerY();
        if (display == Surface.ROTATION_90 || display == Surface.ROTATION_270) {
            // The texture arrives in the device's natural orientation: rotate it to the display,
            // then scale uniformly so the whole frame fits.
            RectF bufferRect = new RectF(0, 0, size.getHeight(), size.getWidth());
            bufferRect.offset(cx - bufferRect.centerX(), cy - bufferRect.centerY());
            matrix.setRectToRect(viewRect, bufferRect, Matrix.ScaleToFit.FILL);
            float scale = Math.min((float) viewH / size.getHeight(), (float) viewW / size.getWidth());
            matrix.postScale(scale, scale, cx, cy);
            matrix.postRotate(90 * (display - 2), cx, cy);
        } else {
            // The texture is already upright and stretched over the view: undo the stretch so the
            // upright frame is fit-centred, exactly where OverlayView draws the mask.
            boolean swap = frameRotation % 180 != 0;
            int uprightW = swap ? size.getHeight() : size.getWidth();
            int uprightH = swap ? size.getWidth() : size.getHeight();
            float[] r = ViewGeometry.fitCenter(uprightW, uprightH, viewW, viewH);
            matrix.setScale((r[2] - r[0]) / viewW, (r[3] - r[1]) / viewH, cx, cy);
            if (display == Surface.ROTATION_180) {
                matrix.postRotate(180, cx, cy);
            }
        }
        preview.setTransform(matrix);
    }
}

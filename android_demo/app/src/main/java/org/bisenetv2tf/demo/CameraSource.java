package org.bisenetv2tf.demo;

import android.app.Activity;
import android.content.Context;
import android.graphics.Matrix;
import android.graphics.RectF;
import android.graphics.SurfaceTexture;
import android.hardware.camera2.CameraManager;
import android.hardware.display.DisplayManager;
import android.media.Image;
import android.media.ImageReader;
import android.os.Handler;
import android.os.HandlerThread;
import android.util.Log;
import android.view.TextureView;
import org.bisenetv2tf.core.FrameOrientation;
import org.bisenetv2tf.core.ViewGeometry;

/**
 * The live camera: camera2 ({@link Camera2Hardware}) driven by {@link CameraController} on
 * its own thread, a {@link TextureView} preview, and the frames handed to the controller.
 *
 * <p>Every camera call and callback runs on the camera thread; the UI thread only posts to
 * it (no waits, no locks). Back-pressure: the reader keeps at most two images and
 * {@code acquireLatestImage} drops older ones; a frame is converted only when
 * {@link SegmentationController#acquireFrame} lends a slot (one frame runs while the next is
 * prepared here), otherwise it is released at once. Frames are never queued.
 *
 * <p>The preview is shown fit-centred (the whole frame the model sees is visible) and upright
 * on any display rotation; the frame's rotation to upright comes from
 * {@link FrameOrientation} (the front camera's mask is drawn mirrored, like its preview), so the
 * mask lines up with the preview (see {@link OverlayView}).
 */
final class CameraSource {
    private static final String TAG = "CameraSource";

    /** What the camera tells the screen; called on the UI thread. */
    interface Ui {
        void onCameraMessage(String message);

        /** Frames flow from {@code camera}; the mask of its frames is drawn mirrored when {@code mirrored}. */
        void onStreaming(CameraController.CameraInfo camera, boolean mirrored);

        void onStopped();

        void onPermissionNeeded();
    }

    private final Activity activity;
    private final TextureView preview;
    private final SegmentationController segmentation;
    private final Ui ui;
    private final HandlerThread thread;
    private final Handler handler;
    private final CameraManager manager;
    private final Camera2Hardware hardware;
    private final CameraController controller;
    private final CameraManager.AvailabilityCallback availability;
    private final DisplayManager.DisplayListener displayListener;
    /** Display rotation in degrees, kept by the UI thread, read per frame by the camera thread. */
    private volatile int displayRotation;
    /** The camera streaming now (camera thread). */
    private CameraController.CameraInfo streaming;
    private volatile CameraController.CameraInfo shown;
    private boolean released;

    CameraSource(Activity activity, TextureView preview, SegmentationController segmentation, final Ui ui) {
        this.activity = activity;
        this.preview = preview;
        this.segmentation = segmentation;
        this.ui = ui;
        thread = new HandlerThread("camera");
        thread.start();
        handler = new Handler(thread.getLooper());
        manager = (CameraManager) activity.getSystemService(Context.CAMERA_SERVICE);
        hardware = new Camera2Hardware(manager, handler, new ImageReader.OnImageAvailableListener() {
            @Override
            public void onImageAvailable(ImageReader r) {
                onFrame(r);
            }
        });
        controller = new CameraController(hardware, new ControllerListener(), new CameraController.Scheduler() {
            @Override
            public Object schedule(Runnable task, long delayMs) {
                handler.postDelayed(task, delayMs);
                return task;
            }

            @Override
            public void cancel(Object handle) {
                handler.removeCallbacks((Runnable) handle);
            }
        });
        hardware.setController(controller);
        availability = new CameraManager.AvailabilityCallback() {
            @Override
            public void onCameraAvailable(String cameraId) {
                controller.onCameraAvailable(cameraId); // on the camera thread (registered with its handler)
            }
        };
        manager.registerAvailabilityCallback(availability, handler);
        // a 180-degree turn changes the rotation without a configuration change: listen to the display
        displayListener = new DisplayManager.DisplayListener() {
            @Override
            public void onDisplayAdded(int displayId) {
            }

            @Override
            public void onDisplayRemoved(int displayId) {
            }

            @Override
            public void onDisplayChanged(int displayId) {
                displayChanged();
            }
        };
        DisplayManager displays = (DisplayManager) activity.getSystemService(Context.DISPLAY_SERVICE);
        if (displays != null) {
            displays.registerDisplayListener(displayListener, null);
        }
        displayRotation = currentDisplayRotation();

        preview.setSurfaceTextureListener(new TextureView.SurfaceTextureListener() {
            @Override
            public void onSurfaceTextureAvailable(final SurfaceTexture surface, int width, int height) {
                post(new Runnable() {
                    @Override
                    public void run() {
                        hardware.setSurfaceTexture(surface);
                        controller.setSurface(true);
                    }
                });
            }

            @Override
            public void onSurfaceTextureSizeChanged(SurfaceTexture surface, int width, int height) {
                updateTransform();
            }

            @Override
            public boolean onSurfaceTextureDestroyed(final SurfaceTexture surface) {
                if (released) {
                    return true; // the camera is closed: the view may release it
                }
                // released on the camera thread once the session no longer draws into it
                post(new Runnable() {
                    @Override
                    public void run() {
                        controller.setSurface(false);
                        hardware.setSurfaceTexture(null);
                        surface.release();
                    }
                });
                return false;
            }

            @Override
            public void onSurfaceTextureUpdated(SurfaceTexture surface) {
            }
        });
    }

    private void post(Runnable r) {
        if (!released) {
            handler.post(r);
        }
    }

    /** onResume / onPause (UI thread; returns at once). */
    void setResumed(final boolean resumed, final boolean permission) {
        displayRotation = currentDisplayRotation();
        post(new Runnable() {
            @Override
            public void run() {
                if (resumed) {
                    controller.setPermission(permission);
                }
                controller.setResumed(resumed);
            }
        });
    }

    /** Live mode (true) or photo mode (UI thread). */
    void setLive(final boolean live) {
        post(new Runnable() {
            @Override
            public void run() {
                controller.setLive(live);
            }
        });
    }

    /** The answer to the permission request (UI thread). */
    void onPermissionResult(final boolean granted) {
        post(new Runnable() {
            @Override
            public void run() {
                controller.onPermissionResult(granted);
            }
        });
    }

    /** Back <-> front (UI thread). */
    void switchLens() {
        post(new Runnable() {
            @Override
            public void run() {
                controller.setFacing(controller.facing() == CameraController.Facing.BACK
                        ? CameraController.Facing.FRONT : CameraController.Facing.BACK);
            }
        });
    }

    /** onDestroy: closes the camera and ends the camera thread (UI thread; does not wait). */
    void release() {
        DisplayManager displays = (DisplayManager) activity.getSystemService(Context.DISPLAY_SERVICE);
        if (displays != null) {
            displays.unregisterDisplayListener(displayListener);
        }
        manager.unregisterAvailabilityCallback(availability);
        post(new Runnable() {
            @Override
            public void run() {
                controller.setResumed(false);
                hardware.close();
            }
        });
        released = true;
        thread.quitSafely(); // runs what was posted, then ends
    }

    /** The display turned (UI thread): new frame rotation and preview transform. */
    void displayChanged() {
        int r = currentDisplayRotation();
        if (r != displayRotation) {
            displayRotation = r;
        }
        updateTransform();
    }

    private int currentDisplayRotation() {
        return FrameOrientation.displayDegrees(activity.getWindowManager().getDefaultDisplay().getRotation());
    }

    /** Camera thread: drop, or convert into a slot and hand over. */
    private void onFrame(ImageReader r) {
        Image image = r.acquireLatestImage();
        if (image == null) {
            return;
        }
        try {
            CameraController.CameraInfo cam = streaming;
            if (cam == null) {
                return;
            }
            SegmentationController.FrameSlot slot = segmentation.acquireFrame();
            if (slot == null) {
                return; // dropped: both slots busy (or photo mode / model loading)
            }
            boolean submitted = false;
            try {
                Image.Plane[] p = image.getPlanes();
                boolean front = cam.isFront();
                slot.fillYuv(p[0].getBuffer(), p[0].getRowStride(), p[0].getPixelStride(),
                        p[1].getBuffer(), p[2].getBuffer(), p[1].getRowStride(), p[1].getPixelStride(),
                        image.getWidth(), image.getHeight(),
                        FrameOrientation.rotation(cam.sensorOrientation, displayRotation, front),
                        FrameOrientation.mirrored(front));
                segmentation.submit(slot);
                submitted = true;
            } catch (Throwable e) { // the image closed under us, or no memory: drop this frame, keep the thread
                Log.w(TAG, "frame dropped: " + e);
            } finally {
                if (!submitted) {
                    segmentation.cancel(slot);
                }
            }
        } finally {
            image.close();
        }
    }

    /** Shows the preview fit-centred and upright; call when the view or the display changes (UI thread). */
    void updateTransform() {
        CameraController.CameraInfo cam = shown;
        if (cam == null) {
            return;
        }
        int viewW = preview.getWidth();
        int viewH = preview.getHeight();
        if (viewW == 0 || viewH == 0) {
            return;
        }
        int display = currentDisplayRotation();
        int frameRotation = FrameOrientation.rotation(cam.sensorOrientation, display, cam.isFront());
        Matrix matrix = new Matrix();
        RectF viewRect = new RectF(0, 0, viewW, viewH);
        float cx = viewRect.centerX();
        float cy = viewRect.centerY();
        if (display == 90 || display == 270) {
            // The texture arrives in the device's natural orientation: rotate it to the display,
            // then scale uniformly so the whole frame fits.
            RectF bufferRect = new RectF(0, 0, cam.height, cam.width);
            bufferRect.offset(cx - bufferRect.centerX(), cy - bufferRect.centerY());
            matrix.setRectToRect(viewRect, bufferRect, Matrix.ScaleToFit.FILL);
            float scale = Math.min((float) viewH / cam.height, (float) viewW / cam.width);
            matrix.postScale(scale, scale, cx, cy);
            matrix.postRotate(display - 180, cx, cy);
        } else {
            // The texture is already upright and stretched over the view: undo the stretch so the
            // upright frame is fit-centred, exactly where OverlayView draws the mask.
            boolean swap = frameRotation % 180 != 0;
            int uprightW = swap ? cam.height : cam.width;
            int uprightH = swap ? cam.width : cam.height;
            float[] r = ViewGeometry.fitCenter(uprightW, uprightH, viewW, viewH);
            matrix.setScale((r[2] - r[0]) / viewW, (r[3] - r[1]) / viewH, cx, cy);
            if (display == 180) {
                matrix.postRotate(180, cx, cy);
            }
        }
        preview.setTransform(matrix);
    }

    /** The controller's reports (camera thread) -> the UI thread. */
    private final class ControllerListener implements CameraController.Listener {
        @Override
        public void onCameraMessage(final String message) {
            activity.runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    ui.onCameraMessage(message);
                }
            });
        }

        @Override
        public void onStreaming(final CameraController.CameraInfo camera) {
            streaming = camera;
            shown = camera;
            activity.runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    updateTransform();
                    ui.onStreaming(camera, FrameOrientation.mirrored(camera.isFront()));
                }
            });
        }

        @Override
        public void onStopped() {
            streaming = null;
            activity.runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    ui.onStopped();
                }
            });
        }

        @Override
        public void onPermissionNeeded() {
            activity.runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    ui.onPermissionNeeded();
                }
            });
        }
    }
}

package org.bisenetv2tf.demo;

import android.Manifest;
import android.app.Activity;
import android.content.ContentResolver;
import android.content.Intent;
import android.content.pm.PackageManager;
import android.content.res.AssetFileDescriptor;
import android.content.res.AssetManager;
import android.content.res.Configuration;
import android.graphics.Bitmap;
import android.net.Uri;
import android.os.Build;
import android.os.Bundle;
import android.os.Handler;
import android.os.HandlerThread;
import android.os.SystemClock;
import android.util.Log;
import android.view.TextureView;
import android.view.View;
import android.widget.AdapterView;
import android.widget.ArrayAdapter;
import android.widget.ImageView;
import android.widget.RadioGroup;
import android.widget.SeekBar;
import android.widget.Spinner;
import android.widget.TextView;
import android.widget.Toast;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.SegmentationPipeline;

/**
 * The whole UI in one plain Activity: live camera (preview, mask, legend, latency, FPS, a lens
 * switch; it follows how the phone is held) or a picture from the document picker, and the
 * model and thread controls. The model runs on the CPU (XNNPACK): this build's LiteRT has no
 * GPU or NNAPI, which a note under the controls says. The decisions (which model, mode,
 * dropping frames) are {@link SegmentationController}'s, the camera's
 * {@link CameraController}'s; the UI thread never waits for either.
 *
 * <p>Live frames reach the UI without allocating: the worker announces a frame (a posted,
 * reused Runnable), the UI takes the newest with {@link SegmentationController#takeLiveFrame()}
 * and copies its small mask into the overlay's bitmap; the status and legend text are
 * refreshed at most {@link #TEXT_REFRESH_MS} apart.
 */
public final class MainActivity extends Activity {
    private static final String TAG = "MainActivity";
    private static final int REQUEST_CAMERA = 1;
    private static final int REQUEST_PICTURE = 2;
    private static final int MAX_PICTURE_SIDE = 1280;
    /** The live status and legend change at most this often (the mask follows every frame). */
    static final long TEXT_REFRESH_MS = 250;

    /**
     * Replaces the LiteRT interpreter in JVM tests (Robolectric), where LiteRT's Android-only
     * JNI library cannot load; null in the app.
     */
    static SegmentationController.EngineFactory engineFactoryForTests;

    /** The model files the user can choose (assets with metadata), the CPU's preferred first. */
    private List<String> models = new ArrayList<String>();
    private HandlerThread workerThread;
    private SegmentationController controller;
    private CameraSource camera;

    private View livePanel;
    private View photoPanel;
    private OverlayView overlay;
    private TextView liveStatus;
    private TextView liveLegend;
    private ImageView original;
    private ImageView segmented;
    private TextView photoStatus;
    private TextView photoLegend;
    private TextView note;
    private Spinner modelSpinner;
    private SeekBar threadsBar;
    private TextView threadsLabel;
    private long lastTextMs;
    /** Shows the newest live frame; posted by the worker, reused (no allocation per frame). */
    private final Runnable showLiveFrame = new Runnable() {
        @Override
        public void run() {
            showLive(controller.takeLiveFrame());
        }
    };

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);
        livePanel = findViewById(R.id.live_panel);
        photoPanel = findViewById(R.id.photo_panel);
        overlay = (OverlayView) findViewById(R.id.overlay);
        liveStatus = (TextView) findViewById(R.id.live_status);
        liveLegend = (TextView) findViewById(R.id.live_legend);
        original = (ImageView) findViewById(R.id.original);
        segmented = (ImageView) findViewById(R.id.segmented);
        photoStatus = (TextView) findViewById(R.id.photo_status);
        photoLegend = (TextView) findViewById(R.id.photo_legend);
        note = (TextView) findViewById(R.id.note);
        modelSpinner = (Spinner) findViewById(R.id.model);
        threadsBar = (SeekBar) findViewById(R.id.threads);
        threadsLabel = (TextView) findViewById(R.id.threads_label);

        // the model's thread: a Looper, whose pooled messages make a frame hand-over allocation-free
        workerThread = new HandlerThread("segmentation");
        workerThread.start();
        final Handler workerHandler = new Handler(workerThread.getLooper());
        Executor worker = new Executor() {
            @Override
            public void execute(Runnable r) {
                workerHandler.post(r);
            }
        };
        int cores = Runtime.getRuntime().availableProcessors();
        AssetModelFiles files = new AssetModelFiles(getAssets());
        SegmentationController.EngineFactory engines = engineFactoryForTests != null ? engineFactoryForTests
                : new LiteRtEngineFactory(files);
        controller = new SegmentationController(worker, engines, files, new UiListener(), cores);
        try {
            models = SegmentationController.modelsIn(files.list());
        } catch (IOException e) {
            Log.e(TAG, "cannot list the assets", e); // the controller reports the missing model
        }
        camera = new CameraSource(this, (TextureView) findViewById(R.id.preview), controller, new CameraUi());
        findViewById(R.id.switch_lens).setOnClickListener(new View.OnClickListener() {
            @Override
            public void onClick(View v) {
                camera.switchLens();
            }
        });

        String[] labels = new String[models.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = SegmentationController.modelLabel(models.get(i));
        }
        ArrayAdapter<String> adapter = new ArrayAdapter<String>(this, android.R.layout.simple_spinner_item, labels);
        adapter.setDropDownViewResource(android.R.layout.simple_spinner_dropdown_item);
        modelSpinner.setAdapter(adapter);
        modelSpinner.setOnItemSelectedListener(new AdapterView.OnItemSelectedListener() {
            @Override
            public void onItemSelected(AdapterView<?> parent, View view, int position, long id) {
                controller.configure(Delegate.CPU, models.get(position), controller.threads());
                updateControls();
            }

            @Override
            public void onNothingSelected(AdapterView<?> parent) {
            }
        });

        threadsBar.setMax(Math.max(0, cores - 1)); // progress 0..cores-1 -> 1..cores threads
        threadsBar.setOnSeekBarChangeListener(new SeekBar.OnSeekBarChangeListener() {
            @Override
            public void onProgressChanged(SeekBar seekBar, int progress, boolean fromUser) {
                threadsLabel.setText(getString(R.string.threads, progress + 1));
            }

            @Override
            public void onStartTrackingTouch(SeekBar seekBar) {
            }

            @Override
            public void onStopTrackingTouch(SeekBar seekBar) {
                controller.configure(controller.delegate(), seekBar.getProgress() + 1);
                updateControls();
            }
        });

        ((RadioGroup) findViewById(R.id.mode)).setOnCheckedChangeListener(new RadioGroup.OnCheckedChangeListener() {
            @Override
            public void onCheckedChanged(RadioGroup group, int checkedId) {
                setMode(checkedId == R.id.mode_photo ? SegmentationController.Mode.PHOTO
                        : SegmentationController.Mode.LIVE);
            }
        });
        findViewById(R.id.pick).setOnClickListener(new View.OnClickListener() {
            @Override
            public void onClick(View v) {
                Intent pick = new Intent(Intent.ACTION_OPEN_DOCUMENT);
                pick.addCategory(Intent.CATEGORY_OPENABLE);
                pick.setType("image/*");
                startActivityForResult(pick, REQUEST_PICTURE);
            }
        });

        liveStatus.setText(R.string.loading_model);
        controller.configure(Delegate.CPU, models.isEmpty() ? null : models.get(0), Math.min(4, cores));
        threadsBar.setProgress(controller.threads() - 1);
        updateControls();
    }

    private void setMode(SegmentationController.Mode mode) {
        controller.setMode(mode);
        boolean live = mode == SegmentationController.Mode.LIVE;
        livePanel.setVisibility(live ? View.VISIBLE : View.GONE);
        photoPanel.setVisibility(live ? View.GONE : View.VISIBLE);
        findViewById(R.id.switch_lens).setVisibility(live ? View.VISIBLE : View.GONE);
        camera.setLive(live);
        if (!live) {
            overlay.clear();
        }
    }

    private boolean hasCameraPermission() {
        return checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED;
    }

    @Override
    protected void onResume() {
        super.onResume();
        camera.setResumed(true, hasCameraPermission());
    }

    @Override
    protected void onPause() {
        camera.setResumed(false, hasCameraPermission());
        super.onPause();
    }

    @Override
    public void onConfigurationChanged(Configuration newConfig) {
        super.onConfigurationChanged(newConfig);
        camera.displayChanged();
    }

    @Override
    protected void onDestroy() {
        camera.release();
        controller.close();
        workerThread.quitSafely(); // after the close the controller posted
        super.onDestroy();
    }

    @Override
    public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {
        if (requestCode != REQUEST_CAMERA) {
            return;
        }
        camera.onPermissionResult(grantResults.length > 0 && grantResults[0] == PackageManager.PERMISSION_GRANTED);
    }

    @Override
    protected void onActivityResult(int requestCode, int resultCode, Intent data) {
        super.onActivityResult(requestCode, resultCode, data);
        if (requestCode != REQUEST_PICTURE || resultCode != RESULT_OK || data == null || data.getData() == null) {
            return;
        }
        final Uri uri = data.getData();
        final ContentResolver resolver = getContentResolver();
        photoStatus.setText(R.string.segmenting);
        controller.segmentStill(new SegmentationController.PictureLoader() {
            @Override
            public SegmentationController.Picture load() throws Exception {
                Bitmap b = ImageLoader.load(resolver, uri, MAX_PICTURE_SIDE);
                int[] px = new int[b.getWidth() * b.getHeight()];
                b.getPixels(px, 0, b.getWidth(), 0, 0, b.getWidth(), b.getHeight());
                return new SegmentationController.Picture(px, b.getWidth(), b.getHeight());
            }
        });
    }

    private void updateControls() {
        threadsLabel.setText(getString(R.string.threads, controller.threads()));
        String text = controller.note(Build.VERSION.SDK_INT);
        note.setText(text);
        note.setVisibility(text != null ? View.VISIBLE : View.GONE);
    }

    private void showStill(SegmentationController.Frame f) {
        original.setImageBitmap(Bitmap.createBitmap(f.picture.argb, f.picture.width, f.picture.height,
                Bitmap.Config.ARGB_8888));
        segmented.setImageBitmap(Bitmap.createBitmap(f.blendedArgb, f.result.imageWidth, f.result.imageHeight,
                Bitmap.Config.ARGB_8888));
        photoStatus.setText(LegendText.status(f));
        photoLegend.setText(LegendText.build(f.model.metadata, f.result.histogram));
    }

    /** UI thread: the newest live frame (ours until the next take). */
    private void showLive(SegmentationController.Frame f) {
        if (f == null || controller.mode() != SegmentationController.Mode.LIVE) {
            return;
        }
        SegmentationPipeline.Result r = f.result;
        overlay.setMask(r.maskArgb, r.letterbox.resizedWidth, r.letterbox.resizedHeight, r.imageWidth,
                r.imageHeight, r.mirrored);
        long now = SystemClock.uptimeMillis();
        if (now - lastTextMs >= TEXT_REFRESH_MS) {
            lastTextMs = now;
            liveStatus.setText(LegendText.status(f));
            liveLegend.setText(LegendText.build(f.model.metadata, r.histogram));
        }
    }

    /** Moves the controller's callbacks (worker thread) to the UI thread. */
    private final class UiListener implements SegmentationController.Listener {
        @Override
        public void onModelReady(final SegmentationController.ModelInfo info) {
            runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    overlay.clear();
                    String text = getString(R.string.model_info, info.modelFile, info.delegate.label);
                    liveStatus.setText(text);
                    photoStatus.setText(text);
                    liveLegend.setText(LegendText.build(info.metadata, null));
                    updateControls();
                }
            });
        }

        @Override
        public void onResult(final SegmentationController.Frame frame) {
            runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    showStill(frame);
                }
            });
        }

        @Override
        public void onLiveFrame() {
            runOnUiThread(showLiveFrame);
        }

        @Override
        public void onFallback(final String message) {
            Log.w(TAG, message);
            runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    Toast.makeText(MainActivity.this, message, Toast.LENGTH_LONG).show();
                    updateControls();
                }
            });
        }

        @Override
        public void onError(final String message) { // at most once per ERROR_INTERVAL_NANOS for a repeated one
            Log.e(TAG, message);
            runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    Toast.makeText(MainActivity.this, message, Toast.LENGTH_LONG).show();
                    liveStatus.setText(message);
                    photoStatus.setText(message);
                }
            });
        }
    }

    /** The camera's reports, on the UI thread. */
    private final class CameraUi implements CameraSource.Ui {
        @Override
        public void onCameraMessage(String message) {
            liveStatus.setText(message);
        }

        @Override
        public void onStreaming(CameraController.CameraInfo info, boolean mirrored) {
            overlay.clear(); // the next frame's mask, of this camera, replaces it
        }

        @Override
        public void onStopped() {
            overlay.clear();
        }

        @Override
        public void onPermissionNeeded() {
            requestPermissions(new String[] {Manifest.permission.CAMERA}, REQUEST_CAMERA);
        }
    }

    /** Model files and their JSON from the APK's assets; models memory-mapped for LiteRT. */
    private static final class AssetModelFiles implements SegmentationController.ModelFiles,
            LiteRtEngineFactory.ModelBuffers {
        private final AssetManager assets;

        AssetModelFiles(AssetManager assets) {
            this.assets = assets;
        }

        @Override
        public List<String> list() throws IOException {
            String[] files = assets.list("");
            return files == null ? new ArrayList<String>() : Arrays.asList(files);
        }

        @Override
        public String readText(String name) throws IOException {
            InputStream in = assets.open(name);
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                }
                return new String(out.toByteArray(), StandardCharsets.UTF_8);
            } finally {
                in.close();
            }
        }

        @Override
        public ByteBuffer map(String name) throws IOException {
            // needs the model stored uncompressed in the APK (build_apk.sh / noCompress "tflite")
            AssetFileDescriptor fd = assets.openFd(name);
            try {
                FileInputStream in = new FileInputStream(fd.getFileDescriptor());
                try {
                    return in.getChannel().map(FileChannel.MapMode.READ_ONLY, fd.getStartOffset(),
                            fd.getDeclaredLength());
                } finally {
                    in.close();
                }
            } finally {
                fd.close();
            }
        }
    }
}

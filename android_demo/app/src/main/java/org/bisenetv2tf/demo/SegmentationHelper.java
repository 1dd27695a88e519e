package org.bisenetv2tf.demo;

import android.content.Context;
import android.content.res.AssetFileDescriptor;
import android.content.res.AssetManager;
import android.graphics.Bitmap;
import android.os.Handler;
import android.os.Looper;
import android.util.Log;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.LatencyStats;
import org.bisenetv2tf.core.MaskRenderer;
import org.bisenetv2tf.core.ModelMetadata;
import org.bisenetv2tf.core.ModelSelector;
import org.bisenetv2tf.core.SegmentationPipeline;
import org.tensorflow.lite.Interpreter;
import org.tensorflow.lite.Tensor;
import org.tensorflow.lite.gpu.CompatibilityList;
import org.tensorflow.lite.gpu.GpuDelegate;
import org.tensorflow.lite.nnapi.NnApiDelegate;

/**
 * Owns the LiteRT interpreter, the delegate choice and the thread count, and runs every model
 * call on one worker thread (CameraX's analyzer runs on {@link #executor()} too, so frames
 * never queue behind each other and the GPU delegate stays on the thread that created it).
 * Results, errors and delegate fallbacks are reported on the main thread through {@link Listener}.
 *
 * <p>Model files come from the app's assets ({@code NAME_int8_*.tflite} for CPU/NNAPI,
 * {@code NAME_fp16.tflite} for the GPU, each with its metadata JSON); everything
 * model-specific (size, normalization, quantization, labels, colours) is read from the JSON.
 */
public final class SegmentationHelper implements AutoCloseable {
    private static final String TAG = "SegmentationHelper";
    /** Opacity of the live mask over the preview and of the still-image blend. */
    public static final int MASK_ALPHA = 140;

    /** Callbacks, always on the main thread. Every method has an empty default. */
    public interface Listener {
        default void onModelReady(ModelInfo info) {
        }

        default void onResult(Frame frame) {
        }

        /** A delegate failed and the helper switched to the CPU; the message says why. */
        default void onFallback(String message) {
        }

        default void onError(String message) {
        }
    }

    /** What is loaded now. */
    public static final class ModelInfo {
        public final String modelFile;
        public final Delegate delegate;
        public final int threads;
        public final ModelMetadata metadata;

        ModelInfo(String modelFile, Delegate delegate, int threads, ModelMetadata metadata) {
            this.modelFile = modelFile;
            this.delegate = delegate;
            this.threads = threads;
            this.metadata = metadata;
        }
    }

    /** One segmented camera frame or picture. */
    public static final class Frame {
        public final SegmentationPipeline.Result result;
        public final LatencyStats.Summary stats;
        public final ModelInfo model;
        /** Still-image mode only: the upright picture and the class colours blended into it. */
        public final Bitmap picture;
        public final int[] blendedArgb;

        Frame(SegmentationPipeline.Result result, LatencyStats.Summary stats, ModelInfo model, Bitmap picture,
              int[] blendedArgb) {
            this.result = result;
            this.stats = stats;
            this.model = model;
            this.picture = picture;
            this.blendedArgb = blendedArgb;
        }

        public boolean isStill() {
            return picture != null;
        }
    }

    private final Context context;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "segmentation"));
    private final Handler main = new Handler(Looper.getMainLooper());
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final LatencyStats liveStats = new LatencyStats(30);

    // Touched on the worker thread only.
    private Interpreter interpreter;
    private GpuDelegate gpuDelegate;
    private NnApiDelegate nnApiDelegate;
    private SegmentationPipeline pipeline;
    private ModelInfo info;

    private volatile Delegate delegate = Delegate.CPU;
    private volatile int threads = 4;
    private volatile boolean configured;
    /** For listeners that register later: the loaded model, or why none is. */
    private volatile ModelInfo current;
    private volatile String lastError;

    public SegmentationHelper(Context context) {
        this.context = context.getApplicationContext();
    }

    /** Adds a listener and tells it the current state (loaded model or last error) right away. */
    public void addListener(Listener l) {
        listeners.add(l);
        ModelInfo ready = current;
        String error = lastError;
        main.post(() -> {
            if (!listeners.contains(l)) {
                return;
            }
            if (ready != null) {
                l.onModelReady(ready);
            } else if (error != null) {
                l.onError(error);
            }
        });
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    /** The single thread all model work runs on; give it to ImageAnalysis.setAnalyzer. */
    public Executor executor() {
        return worker;
    }

    public Delegate delegate() {
        return delegate;
    }

    public int threads() {
        return threads;
    }

    /** Switches delegate and/or thread count; the interpreter is rebuilt on the worker. */
    public void configure(Delegate newDelegate, int newThreads) {
        int t = ModelSelector.clampThreads(newThreads, Runtime.getRuntime().availableProcessors());
        if (configured && newDelegate == delegate && t == threads) {
            return;
        }
        configured = true;
        delegate = newDelegate;
        threads = t;
        worker.execute(this::setUp);
    }

    /**
     * Segments one camera frame. Call on {@link #executor()} (the CameraX analyzer does), so a
     * frame arriving while the model runs is dropped by CameraX, never queued.
     */
    public void segmentFrame(int[] argb, int width, int height, int rotationDegrees) {
        if (pipeline == null) {
            return;
        }
        try {
            SegmentationPipeline.Result r = pipeline.run(interpreter::run, argb, width, height, rotationDegrees);
            liveStats.add(r.inferenceMs(), System.nanoTime());
            Frame frame = new Frame(r, liveStats.summary(), info, null, null);
            post(l -> l.onResult(frame));
        } catch (Exception e) {
            failed(e);
        }
    }

    /** Loads a picture (on the worker) and segments it; the result carries the blended image. */
    public void segmentStill(Callable<Bitmap> loader) {
        worker.execute(() -> {
            if (pipeline == null) {
                String why = lastError;
                post(l -> l.onError(why != null ? why : "No model loaded"));
                return;
            }
            try {
                Bitmap picture = loader.call();
                int w = picture.getWidth();
                int h = picture.getHeight();
                int[] pixels = new int[w * h];
                picture.getPixels(pixels, 0, w, 0, 0, w, h);
                SegmentationPipeline.Result r = pipeline.run(interpreter::run, pixels, w, h, 0);
                int[] blended = MaskRenderer.blend(pixels, r.imageClassMap(), info.metadata.colors(), MASK_ALPHA);
                LatencyStats one = new LatencyStats(1);
                one.add(r.inferenceMs(), System.nanoTime());
                Frame frame = new Frame(r, one.summary(), info, picture, blended);
                post(l -> l.onResult(frame));
            } catch (Exception e) {
                failed(e);
            }
        });
    }

    private void failed(Exception e) {
        Log.e(TAG, "inference failed", e);
        if (delegate != Delegate.CPU) {
            fallBack(delegate.label + " failed while running: " + message(e));
        } else {
            error("Inference failed: " + message(e));
        }
    }

    private void error(String message) {
        lastError = message;
        post(l -> l.onError(message));
    }

    /** Worker: (re)builds the interpreter for the current choice, falling back to the CPU. */
    private void setUp() {
        closeInterpreter();
        Delegate wanted = delegate;
        try {
            open(wanted);
        } catch (Exception e) {
            Log.e(TAG, "could not start " + wanted, e);
            closeInterpreter();
            if (wanted != Delegate.CPU) {
                fallBack(wanted.label + " could not start: " + message(e));
            } else {
                error("Could not load the model: " + message(e));
            }
        }
    }

    private void fallBack(String why) {
        closeInterpreter();
        delegate = Delegate.CPU;
        post(l -> l.onFallback(why + ". Running on the CPU instead."));
        try {
            open(Delegate.CPU);
        } catch (Exception e) {
            closeInterpreter();
            error("Could not load the model on the CPU either: " + message(e));
        }
    }

    private void open(Delegate d) throws IOException {
        AssetManager assets = context.getAssets();
        String[] files = assets.list("");
        String model = ModelSelector.modelFor(d, Arrays.asList(files == null ? new String[0] : files));
        if (model == null) {
            throw new IOException("no model with metadata in the app's assets; run android_demo/tools/copy_models.sh");
        }
        ModelMetadata meta = ModelMetadata.parse(readAsset(assets, ModelSelector.metadataFor(model)));
        Interpreter.Options options = new Interpreter.Options();
        switch (d) {
            case CPU:
                options.setNumThreads(threads);
                options.setUseXNNPACK(true);
                break;
            case GPU:
                try (CompatibilityList compatibility = new CompatibilityList()) {
                    if (!compatibility.isDelegateSupportedOnThisDevice()) {
                        throw new UnsupportedOperationException("this device is not on the GPU delegate's list");
                    }
                    gpuDelegate = new GpuDelegate(compatibility.getBestOptionsForThisDevice());
                }
                options.addDelegate(gpuDelegate);
                break;
            case NNAPI:
                nnApiDelegate = new NnApiDelegate();
                options.addDelegate(nnApiDelegate);
                break;
            default:
                throw new IllegalArgumentException("unknown delegate " + d);
        }
        interpreter = new Interpreter(mapAsset(assets, model), options);
        checkTensor(interpreter.getInputTensor(0), meta.input, "input");
        checkTensor(interpreter.getOutputTensor(0), meta.output, "output");
        pipeline = new SegmentationPipeline(meta, MASK_ALPHA);
        liveStats.clear();
        info = new ModelInfo(model, d, threads, meta);
        ModelInfo ready = info;
        current = ready;
        lastError = null;
        post(l -> l.onModelReady(ready));
    }

    private static void checkTensor(Tensor tensor, ModelMetadata.TensorInfo expected, String what) {
        if (!Arrays.equals(tensor.shape(), expected.shape()) || tensor.numBytes() != expected.numBytes()) {
            throw new IllegalStateException("the model's " + what + " tensor " + Arrays.toString(tensor.shape())
                    + " does not match its metadata " + Arrays.toString(expected.shape()));
        }
    }

    private void closeInterpreter() {
        pipeline = null;
        info = null;
        current = null;
        if (interpreter != null) {
            interpreter.close();
            interpreter = null;
        }
        if (gpuDelegate != null) {
            gpuDelegate.close();
            gpuDelegate = null;
        }
        if (nnApiDelegate != null) {
            nnApiDelegate.close();
            nnApiDelegate = null;
        }
    }

    private static MappedByteBuffer mapAsset(AssetManager assets, String name) throws IOException {
        // needs the asset stored uncompressed: androidResources.noCompress += "tflite"
        try (AssetFileDescriptor fd = assets.openFd(name);
             FileInputStream in = new FileInputStream(fd.getFileDescriptor())) {
            return in.getChannel().map(FileChannel.MapMode.READ_ONLY, fd.getStartOffset(), fd.getDeclaredLength());
        }
    }

    private static String readAsset(AssetManager assets, String name) throws IOException {
        try (InputStream in = assets.open(name)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            return new String(out.toByteArray(), StandardCharsets.UTF_8);
        }
    }

    private static String message(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.split("\n")[0];
    }

    private interface Call {
        void on(Listener l);
    }

    private void post(Call call) {
        main.post(() -> {
            for (Listener l : listeners) {
                call.on(l);
            }
        });
    }

    @Override
    public void close() {
        listeners.clear();
        worker.execute(this::closeInterpreter);
        worker.shutdown();
    }
}

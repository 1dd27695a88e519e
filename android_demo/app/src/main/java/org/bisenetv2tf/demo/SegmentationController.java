package org.bisenetv2tf.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.LatencyStats;
import org.bisenetv2tf.core.MaskRenderer;
import org.bisenetv2tf.core.ModelMetadata;
import org.bisenetv2tf.core.ModelSelector;
import org.bisenetv2tf.core.SegmentationPipeline;

/**
 * The Activity's decisions, in plain Java so they run in a JVM test with a fake interpreter:
 * which model and delegate to load (the user's model choice, or the delegate's preferred
 * model), falling back to the CPU when a delegate cannot start or fails while running, live /
 * photo mode, and back-pressure (at most one camera frame in flight: a frame that arrives while
 * the model runs is dropped, never queued).
 *
 * <p>Every model call runs on the one {@code worker} executor given to the constructor (the
 * GPU delegate must stay on the thread that created it). Listener callbacks come from that
 * worker; the Activity moves them to the UI thread. No lambdas or method references here or
 * anywhere in the app: the APK's dexer does not desugar them.
 */
public final class SegmentationController {
    /** Opacity of the live mask over the preview and of the still-image blend. */
    public static final int MASK_ALPHA = 140;
    /** Frames in the rolling latency / FPS window. */
    public static final int LIVE_WINDOW = 30;

    public enum Mode { LIVE, PHOTO }

    /** One loaded model on one delegate: the part of the LiteRT interpreter the app uses. */
    public interface Engine {
        /** Reads {@code input}, writes {@code output} (both direct, native order, rewound). */
        void run(ByteBuffer input, ByteBuffer output) throws Exception;

        void close();
    }

    /** Opens a model on a delegate; throws when the delegate (or the model) cannot start. */
    public interface EngineFactory {
        Engine open(String modelFile, ModelMetadata meta, Delegate delegate, int threads) throws Exception;
    }

    /** The app's assets: model files and their metadata JSON. */
    public interface ModelFiles {
        List<String> list() throws IOException;

        String readText(String name) throws IOException;
    }

    /** Called on the worker thread. */
    public interface Listener {
        void onModelReady(ModelInfo info);

        void onResult(Frame frame);

        /** A delegate failed and the controller switched to the CPU; the message says why. */
        void onFallback(String message);

        void onError(String message);
    }

    /** An upright picture as packed ARGB pixels. */
    public static final class Picture {
        public final int[] argb;
        public final int width;
        public final int height;

        public Picture(int[] argb, int width, int height) {
            if (argb.length != width * height) {
                throw new IllegalArgumentException("pixels do not match " + width + "x" + height);
            }
            this.argb = argb;
            this.width = width;
            this.height = height;
        }
    }

    /** Loads a picture; runs on the worker. */
    public interface PictureLoader {
        Picture load() throws Exception;
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
        /** Camera frames dropped so far because one was still in flight. */
        public final long dropped;
        /** Photo mode only: the picture and the class colours blended into it. */
        public final Picture picture;
        public final int[] blendedArgb;

        Frame(SegmentationPipeline.Result result, LatencyStats.Summary stats, ModelInfo model, long dropped,
              Picture picture, int[] blendedArgb) {
            this.result = result;
            this.stats = stats;
            this.model = model;
            this.dropped = dropped;
            this.picture = picture;
            this.blendedArgb = blendedArgb;
        }

        public boolean isStill() {
            return picture != null;
        }
    }

    private final Executor worker;
    private final EngineFactory factory;
    private final ModelFiles files;
    private final Listener listener;
    private final int availableProcessors;
    private final LatencyStats liveStats = new LatencyStats(LIVE_WINDOW);
    private final AtomicBoolean frameInFlight = new AtomicBoolean();
    private final AtomicLong dropped = new AtomicLong();

    // Worker thread only.
    private Engine engine;
    private SegmentationPipeline pipeline;
    private ModelInfo info;

    private volatile Delegate delegate = Delegate.CPU;
    /** The chosen model file, or null for the delegate's preferred one ({@link ModelSelector}). */
    private volatile String model;
    private volatile int threads = 1;
    private volatile boolean configured;
    private volatile boolean ready;
    private volatile Mode mode = Mode.LIVE;
    private volatile String fallbackMessage;
    private volatile ModelInfo current;

    public SegmentationController(Executor worker, EngineFactory factory, ModelFiles files, Listener listener,
                                  int availableProcessors) {
        this.worker = worker;
        this.factory = factory;
        this.files = files;
        this.listener = listener;
        this.availableProcessors = Math.max(1, availableProcessors);
    }

    public Delegate delegate() {
        return delegate;
    }

    public int threads() {
        return threads;
    }

    /** The chosen model file, or null when the delegate's preferred model is used. */
    public String model() {
        return model;
    }

    public Mode mode() {
        return mode;
    }

    /** The loaded model, or null while none is. */
    public ModelInfo current() {
        return current;
    }

    public long droppedFrames() {
        return dropped.get();
    }

    /** {@link #configure(Delegate, String, int)} keeping the current model choice. */
    public boolean configure(Delegate newDelegate, int newThreads) {
        return configure(newDelegate, model, newThreads);
    }

    /**
     * Chooses delegate, model file (null: the delegate's preferred model) and thread count
     * (clamped to 1..cores); the interpreter is rebuilt on the worker. Returns false when
     * nothing changed. Choosing another delegate clears an earlier fallback message.
     */
    public boolean configure(Delegate newDelegate, String newModel, int newThreads) {
        int t = ModelSelector.clampThreads(newThreads, availableProcessors);
        boolean sameModel = newModel == null ? model == null : newModel.equals(model);
        if (configured && newDelegate == delegate && sameModel && t == threads) {
            return false;
        }
        if (newDelegate != delegate) {
            fallbackMessage = null;
        }
        configured = true;
        delegate = newDelegate;
        model = newModel;
        threads = t;
        ready = false;
        worker.execute(new Runnable() {
            @Override
            public void run() {
                setUp();
            }
        });
        return true;
    }

    /** Live camera or still picture; switching to live starts a new latency / FPS window. */
    public void setMode(Mode newMode) {
        if (newMode == Mode.LIVE && mode != Mode.LIVE) {
            liveStats.clear();
        }
        mode = newMode;
    }

    /**
     * Back-pressure, called by the camera thread for each new frame before converting it:
     * true means "convert it and {@link #submitFrame}"; false means drop it (release the camera
     * image now): not in live mode, no model loaded yet, or a frame is still in flight.
     */
    public boolean tryBeginFrame() {
        if (mode != Mode.LIVE || !ready || !frameInFlight.compareAndSet(false, true)) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives up a frame {@link #tryBeginFrame} accepted (e.g. the conversion failed). */
    public void cancelFrame() {
        frameInFlight.set(false);
    }

    /** Segments the accepted frame on the worker; {@code rotationDegrees} makes it upright. */
    public void submitFrame(final int[] argb, final int width, final int height, final int rotationDegrees) {
        worker.execute(new Runnable() {
            @Override
            public void run() {
                try {
                    segmentLive(argb, width, height, rotationDegrees);
                } finally {
                    frameInFlight.set(false);
                }
            }
        });
    }

    /** Loads a picture on the worker and segments it; the frame carries the blended picture. */
    public void segmentStill(final PictureLoader loader) {
        worker.execute(new Runnable() {
            @Override
            public void run() {
                segmentPicture(loader);
            }
        });
    }

    /**
     * The note under the controls: why the app fell back to the CPU, and that NNAPI is
     * deprecated from Android 15 when it is chosen there. Null when there is nothing to say.
     */
    public String note(int sdkInt) {
        StringBuilder sb = new StringBuilder();
        if (fallbackMessage != null) {
            sb.append(fallbackMessage);
        }
        if (delegate.isDeprecatedOn(sdkInt)) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append("NNAPI is deprecated from Android 15: most devices run it on the CPU or refuse the model."
                    + " Prefer CPU or GPU.");
        }
        return sb.length() > 0 ? sb.toString() : null;
    }

    /** Closes the interpreter on the worker. */
    public void close() {
        ready = false;
        worker.execute(new Runnable() {
            @Override
            public void run() {
                closeEngine();
            }
        });
    }

    // ---- worker thread ----

    private void segmentLive(int[] argb, int width, int height, int rotationDegrees) {
        if (pipeline == null || mode != Mode.LIVE) {
            return;
        }
        try {
            SegmentationPipeline.Result r = pipeline.run(new EngineAdapter(engine), argb, width, height,
                    rotationDegrees);
            liveStats.add(r.inferenceMs(), System.nanoTime());
            listener.onResult(new Frame(r, liveStats.summary(), info, dropped.get(), null, null));
        } catch (Exception e) {
            failed(e);
        }
    }

    private void segmentPicture(PictureLoader loader) {
        if (pipeline == null) {
            listener.onError("No model loaded yet");
            return;
        }
        try {
            Picture p = loader.load();
            SegmentationPipeline.Result r = pipeline.run(new EngineAdapter(engine), p.argb, p.width, p.height, 0);
            int[] blended = MaskRenderer.blend(p.argb, r.imageClassMap(), info.metadata.colors(), MASK_ALPHA);
            LatencyStats one = new LatencyStats(1);
            one.add(r.inferenceMs(), System.nanoTime());
            listener.onResult(new Frame(r, one.summary(), info, dropped.get(), p, blended));
        } catch (Exception e) {
            failed(e);
        }
    }

    private void failed(Exception e) {
        Delegate d = info != null ? info.delegate : delegate;
        if (d != Delegate.CPU) {
            fallBack(d.label + " failed while running: " + message(e));
        } else {
            listener.onError("Inference failed: " + message(e));
        }
    }

    private void setUp() {
        closeEngine();
        Delegate wanted = delegate;
        try {
            open(wanted);
        } catch (Exception | LinkageError e) { // LinkageError: a native library that does not load
            closeEngine();
            if (wanted != Delegate.CPU) {
                fallBack(wanted.label + " could not start: " + message(e));
            } else {
                listener.onError("Could not load the model: " + message(e));
            }
        }
    }

    private void fallBack(String why) {
        closeEngine();
        delegate = Delegate.CPU;
        fallbackMessage = why + ". Running on the CPU instead.";
        listener.onFallback(fallbackMessage);
        try {
            open(Delegate.CPU);
        } catch (Exception | LinkageError e) {
            closeEngine();
            listener.onError("Could not load the model on the CPU either: " + message(e));
        }
    }

    private void open(Delegate d) throws Exception {
        List<String> listed = files.list();
        String file = model;
        if (file == null) {
            file = ModelSelector.modelFor(d, listed);
            if (file == null) {
                throw new IOException(
                        "no model with metadata in the app's assets (build with android_demo/build_apk.sh)");
            }
        } else if (!listed.contains(file) || !listed.contains(ModelSelector.metadataFor(file))) {
            throw new IOException(file + " (with its .json) is not in the app's assets");
        }
        ModelMetadata meta = ModelMetadata.parse(files.readText(ModelSelector.metadataFor(file)));
        int t = threads;
        engine = factory.open(file, meta, d, t);
        pipeline = new SegmentationPipeline(meta, MASK_ALPHA);
        liveStats.clear();
        info = new ModelInfo(file, d, t, meta);
        current = info;
        ready = true;
        listener.onModelReady(info);
    }

    private void closeEngine() {
        ready = false;
        pipeline = null;
        info = null;
        current = null;
        if (engine != null) {
            Engine e = engine;
            engine = null;
            e.close();
        }
    }

    /**
     * The models among {@code files} that have their metadata beside them, in the order the CPU
     * prefers them (INT8 QAT, INT8 PTQ, FP16, FP32): the choices the app offers.
     */
    public static List<String> modelsIn(Collection<String> files) {
        List<String> rest = new ArrayList<>(files);
        List<String> models = new ArrayList<>();
        for (String m = ModelSelector.modelFor(Delegate.CPU, rest); m != null;
                m = ModelSelector.modelFor(Delegate.CPU, rest)) {
            models.add(m);
            rest.remove(m);
        }
        return models;
    }

    /** A model file's label for the UI: {@code NAME_int8_qat.tflite -> "INT8 (QAT)"}, FP16, FP32. */
    public static String modelLabel(String modelFile) {
        if (modelFile.endsWith("_int8_qat.tflite")) {
            return "INT8 (QAT)";
        }
        if (modelFile.endsWith("_int8_ptq.tflite")) {
            return "INT8 (PTQ)";
        }
        if (modelFile.endsWith("_fp16.tflite")) {
            return "FP16";
        }
        if (modelFile.endsWith("_fp32.tflite")) {
            return "FP32";
        }
        return modelFile;
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.split("\n")[0];
    }

    private static final class EngineAdapter implements SegmentationPipeline.InferenceEngine {
        private final Engine engine;

        EngineAdapter(Engine engine) {
            this.engine = engine;
        }

        @Override
        public void run(ByteBuffer input, ByteBuffer output) throws Exception {
            engine.run(input, output);
        }
    }
}

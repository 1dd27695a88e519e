package org.bisenetv2tf.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.ErrorThrottle;
import org.bisenetv2tf.core.LatencyStats;
import org.bisenetv2tf.core.MaskRenderer;
import org.bisenetv2tf.core.ModelMetadata;
import org.bisenetv2tf.core.ModelSelector;
import org.bisenetv2tf.core.SegmentationPipeline;
import org.bisenetv2tf.core.TripleBuffer;

/**
 * The Activity's decisions, in plain Java so they run in a JVM test with a fake interpreter:
 * which model and delegate to load (the user's model choice, or the delegate's preferred
 * model), falling back to the CPU when a delegate cannot start or fails while running, live /
 * photo mode, back-pressure, and what the user hears about failures.
 *
 * <p>The live path is a two-slot pipeline that allocates nothing per frame: the camera thread
 * takes a free {@link FrameSlot} ({@link #acquireFrame}), converts and letterboxes the frame
 * into it and {@link #submit}s it; the worker runs the model on it and post-processes into
 * one of three reused {@link Frame}s, which the UI takes with {@link #takeLiveFrame()}. While
 * the worker runs frame N the camera thread prepares frame N+1 in the other slot; a frame
 * that finds both slots busy is dropped, never queued.
 *
 * <p>Every model call runs on the one {@code worker} executor given to the constructor (the
 * GPU delegate must stay on the thread that created it). Listener callbacks come from that
 * worker; the Activity moves them to the UI thread. The worker catches everything a frame
 * can throw (also {@link OutOfMemoryError}): the frame is dropped and the user gets one
 * message, not one per frame ({@link ErrorThrottle}). No lambdas or method references here
 * or anywhere in the app: the APK's dexer does not desugar them.
 */
public final class SegmentationController {
    /** Opacity of the live mask over the preview and of the still-image blend. */
    public static final int MASK_ALPHA = 140;
    /** Frames in the rolling latency / FPS window. */
    public static final int LIVE_WINDOW = 30;
    /** Camera frames the controller holds at most: one being run, one being prepared or waiting. */
    public static final int SLOTS = 2;
    /** The same error is shown at most once per this interval. */
    public static final long ERROR_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

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

        /** A segmented picture (a new object, the listener's to keep). */
        void onResult(Frame frame);

        /**
         * A new live frame is ready: take it with {@link #takeLiveFrame()} on the consumer
         * thread. Not called again until it was taken (no queue of notifications builds up).
         */
        void onLiveFrame();

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

    /**
     * One segmented camera frame or picture. Live frames are reused: a frame from
     * {@link #takeLiveFrame()} is valid until the next call (fields written by the controller only).
     */
    public static final class Frame {
        public final SegmentationPipeline.Result result;
        public final LatencyStats.Summary stats;
        public ModelInfo model;
        /** Camera frames dropped so far because both slots were busy (or no model, or photo mode). */
        public long dropped;
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

    /**
     * A camera frame's place in the live pipeline. The camera thread gets it from
     * {@link #acquireFrame}, fills it ({@link #fillYuv} or {@link #fillArgb}) and hands it to
     * {@link #submit} (or {@link #cancel}); the worker runs it and frees it.
     */
    public static final class FrameSlot {
        static final int FREE = 0;
        static final int FILLING = 1;
        static final int QUEUED = 2;

        final SegmentationPipeline pipeline;
        final SegmentationPipeline.Slot slot;
        final AtomicInteger state = new AtomicInteger(FREE);
        final Runnable run;

        FrameSlot(SegmentationPipeline pipeline, final SegmentationController owner) {
            this.pipeline = pipeline;
            this.slot = pipeline.newSlot();
            this.run = new Runnable() {
                @Override
                public void run() {
                    owner.segmentLive(FrameSlot.this);
                }
            };
        }

        /**
         * Converts a YUV_420_888 frame (camera2's planes) and letterboxes it upright;
         * {@code rotationDegrees} turns it upright, {@code mirrored}: a front camera's frame.
         */
        public void fillYuv(ByteBuffer y, int yRowStride, int yPixelStride, ByteBuffer u, ByteBuffer v,
                            int uvRowStride, int uvPixelStride, int width, int height, int rotationDegrees,
                            boolean mirrored) {
            pipeline.prepareYuv(slot, y, yRowStride, yPixelStride, u, v, uvRowStride, uvPixelStride, width, height,
                    rotationDegrees, mirrored);
        }

        /** {@link #fillYuv} for packed ARGB pixels. */
        public void fillArgb(int[] argb, int width, int height, int rotationDegrees, boolean mirrored) {
            pipeline.prepareArgb(slot, argb, width, height, rotationDegrees, mirrored);
        }
    }

    /** The live path of one loaded model: its slots and the frames the UI reads. */
    private static final class Live {
        final FrameSlot[] slots = new FrameSlot[SLOTS];
        final TripleBuffer<Frame> frames;

        Live(SegmentationPipeline pipeline, SegmentationController owner, ModelInfo info) {
            for (int i = 0; i < SLOTS; i++) {
                slots[i] = new FrameSlot(pipeline, owner);
            }
            frames = new TripleBuffer<Frame>(frame(pipeline, info), frame(pipeline, info), frame(pipeline, info));
        }

        private static Frame frame(SegmentationPipeline pipeline, ModelInfo info) {
            return new Frame(pipeline.newResult(), new LatencyStats.Summary(), info, 0, null, null);
        }
    }

    /** Monotonic time, replaceable in tests. */
    public interface Ticker {
        long nanoTime();
    }

    private static final Ticker SYSTEM_TICKER = new Ticker() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }
    };

    private final Executor worker;
    private final EngineFactory factory;
    private final ModelFiles files;
    private final Listener listener;
    private final int availableProcessors;
    private final Ticker ticker;
    private final LatencyStats liveStats = new LatencyStats(LIVE_WINDOW);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean liveFrameAnnounced = new AtomicBoolean();
    private final ErrorThrottle errors = new ErrorThrottle(ERROR_INTERVAL_NANOS);

    // Worker thread only.
    private Engine engine;
    private EngineAdapter adapter;
    private SegmentationPipeline pipeline;
    private ModelInfo info;
    /** The loaded model's live path; null while none is loaded. Set on the worker, read by the camera and UI. */
    private volatile Live live;

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
        this(worker, factory, files, listener, availableProcessors, SYSTEM_TICKER);
    }

    public SegmentationController(Executor worker, EngineFactory factory, ModelFiles files, Listener listener,
                                  int availableProcessors, Ticker ticker) {
        this.worker = worker;
        this.factory = factory;
        this.files = files;
        this.listener = listener;
        this.availableProcessors = Math.max(1, availableProcessors);
        this.ticker = ticker;
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
     * Back-pressure, called by the camera thread for each new frame before converting it: a
     * free slot to fill and {@link #submit}, or null: drop the frame (release the camera image
     * now): not in live mode, no model loaded yet, or both slots are busy.
     */
    public FrameSlot acquireFrame() {
        Live l = live;
        if (mode == Mode.LIVE && ready && l != null) {
            for (FrameSlot s : l.slots) {
                if (s.state.compareAndSet(FrameSlot.FREE, FrameSlot.FILLING)) {
                    return s;
                }
            }
        }
        dropped.incrementAndGet();
        return null;
    }

    /** Gives back a slot {@link #acquireFrame} lent (e.g. the camera image went away while converting). */
    public void cancel(FrameSlot slot) {
        slot.state.set(FrameSlot.FREE);
    }

    /** Queues a filled slot for the worker, which runs the model on it and frees it. */
    public void submit(FrameSlot slot) {
        if (!slot.state.compareAndSet(FrameSlot.FILLING, FrameSlot.QUEUED)) {
            throw new IllegalStateException("slot was not acquired");
        }
        try {
            worker.execute(slot.run);
        } catch (RuntimeException e) { // a worker that was shut down
            slot.state.set(FrameSlot.FREE);
            throw e;
        }
    }

    /**
     * The newest live frame (null before the first), the caller's until its next call; one
     * consumer thread (the UI). Also re-arms {@link Listener#onLiveFrame()}.
     */
    public Frame takeLiveFrame() {
        liveFrameAnnounced.set(false);
        Live l = live;
        return l == null ? null : l.frames.latest();
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

    /** Runs a submitted slot: a frame of a model no longer loaded, or in photo mode, is dropped. */
    void segmentLive(FrameSlot slot) {
        try {
            Live l = live;
            if (pipeline == null || l == null || slot.pipeline != pipeline || mode != Mode.LIVE) {
                return;
            }
            Frame f = l.frames.back();
            pipeline.infer(adapter, slot.slot, f.result);
            liveStats.add(f.result.inferenceMs(), ticker.nanoTime());
            liveStats.summary(f.stats);
            f.model = info;
            f.dropped = dropped.get();
            l.frames.publish();
            if (liveFrameAnnounced.compareAndSet(false, true)) {
                listener.onLiveFrame();
            }
        } catch (Throwable t) { // also OutOfMemoryError: the frame is dropped, the app goes on
            failed(t);
        } finally {
            slot.state.set(FrameSlot.FREE);
        }
    }

    private void segmentPicture(PictureLoader loader) {
        if (pipeline == null) {
            listener.onError("No model loaded yet");
            return;
        }
        try {
            Picture p = loader.load();
            SegmentationPipeline.Result r = pipeline.run(adapter, p.argb, p.width, p.height, 0);
            int[] blended = MaskRenderer.blend(p.argb, r.imageClassMap(), info.metadata.colors(), MASK_ALPHA);
            LatencyStats one = new LatencyStats(1);
            one.add(r.inferenceMs(), ticker.nanoTime());
            listener.onResult(new Frame(r, one.summary(), info, dropped.get(), p, blended));
        } catch (OutOfMemoryError e) {
            failed(new IOException("the picture is too large for the memory left", e));
        } catch (Throwable t) {
            failed(t);
        }
    }

    private void failed(Throwable e) {
        Delegate d = info != null ? info.delegate : delegate;
        if (d != Delegate.CPU) {
            fallBack(d.label + " failed while running: " + message(e));
        } else {
            error("Inference failed: " + message(e));
        }
    }

    /** Reports an error unless the same one was reported less than ERROR_INTERVAL_NANOS ago. */
    private void error(String message) {
        String text = errors.admit(message, ticker.nanoTime());
        if (text != null) {
            listener.onError(text);
        }
    }

    private void setUp() {
        closeEngine();
        errors.reset();
        Delegate wanted = delegate;
        try {
            open(wanted);
        } catch (Throwable e) { // LinkageError: a native library that does not load; OutOfMemoryError
            closeEngine();
            if (wanted != Delegate.CPU) {
                fallBack(wanted.label + " could not start: " + message(e));
            } else {
                error("Could not load the model: " + message(e));
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
        } catch (Throwable e) {
            closeEngine();
            error("Could not load the model on the CPU either: " + message(e));
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
        adapter = new EngineAdapter(engine);
        pipeline = new SegmentationPipeline(meta, MASK_ALPHA);
        liveStats.clear();
        info = new ModelInfo(file, d, t, meta);
        live = new Live(pipeline, this, info);
        current = info;
        ready = true;
        listener.onModelReady(info);
    }

    private void closeEngine() {
        ready = false;
        pipeline = null;
        live = null;
        info = null;
        current = null;
        adapter = null;
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

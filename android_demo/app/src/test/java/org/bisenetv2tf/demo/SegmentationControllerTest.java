package org.bisenetv2tf.demo;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.ModelMetadata;
import org.junit.Before;
import org.junit.Test;

/**
 * The Activity's logic with a fake interpreter: model and delegate choice, fallback, mode
 * switches, the two-slot live pipeline and frame dropping, the live frames the UI takes, and
 * failures (also OutOfMemoryError) reported once. The worker is a queue the test drains by
 * hand, so "in flight" is explicit; the clock is the test's.
 */
public class SegmentationControllerTest {
    static final int H = 8;
    static final int W = 12;

    static String meta(String dtype, String quant) {
        return "{\"format\": \"bisenetv2-tf/metadata\", \"version\": 1,"
                + "\"input\": {\"shape\": [1, " + H + ", " + W + ", 3], \"dtype\": \"" + dtype + "\", "
                + "\"quantization\": " + quant + "},"
                + "\"output\": {\"shape\": [1, " + H + ", " + W + ", 3], \"dtype\": \"" + dtype + "\", "
                + "\"quantization\": " + quant + ", \"kind\": \"logits\"},"
                + "\"normalization\": {\"mean\": [0.5, 0.5, 0.5], \"std\": [0.25, 0.25, 0.25]},"
                + "\"resize\": \"letterbox\", \"labels\": [\"a\", \"b\", \"c\"],"
                + "\"colors\": [[0, 0, 0], [255, 0, 0], [0, 0, 255]]}";
    }

    /** Runs posted tasks only when the test says so. */
    static final class ManualExecutor implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<Runnable>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        int drain() {
            int n = 0;
            while (!tasks.isEmpty()) {
                tasks.poll().run();
                n++;
            }
            return n;
        }
    }

    /** What the fake interpreter was asked to do; which delegates fail to start or to run. */
    static final class FakeFactory implements SegmentationController.EngineFactory {
        final List<String> opened = new ArrayList<String>();
        final List<String> closed = new ArrayList<String>();
        final Map<Delegate, String> failOpen = new HashMap<Delegate, String>();
        final Map<Delegate, String> failRun = new HashMap<Delegate, String>();
        /** Thrown by every run when set (e.g. an OutOfMemoryError). */
        Throwable throwOnRun;
        int runs;
        /** Class every pixel gets. */
        int cls = 1;

        @Override
        public SegmentationController.Engine open(final String modelFile, final ModelMetadata meta,
                                                  final Delegate delegate, final int threads) throws Exception {
            if (failOpen.containsKey(delegate)) {
                String why = failOpen.get(delegate);
                if (why.startsWith("dlopen")) {
                    throw new UnsatisfiedLinkError(why);
                }
                throw new IllegalStateException(why);
            }
            final String name = delegate + ":" + modelFile + ":" + threads;
            opened.add(name);
            return new SegmentationController.Engine() {
                @Override
                public void run(ByteBuffer input, ByteBuffer output) throws Exception {
                    if (failRun.containsKey(delegate)) {
                        throw new RuntimeException(failRun.get(delegate));
                    }
                    if (throwOnRun instanceof Error) {
                        throw (Error) throwOnRun;
                    }
                    runs++;
                    boolean f32 = meta.output.numBytes() == meta.output.numElements() * 4;
                    for (int i = 0; i < H * W; i++) {
                        for (int c = 0; c < 3; c++) {
                            if (f32) {
                                output.putFloat(4 * (3 * i + c), c == cls ? 5f : -5f);
                            } else {
                                output.put(3 * i + c, (byte) (c == cls ? 200 : 10));
                            }
                        }
                    }
                }

                @Override
                public void close() {
                    closed.add(name);
                }
            };
        }
    }

    static final class Files implements SegmentationController.ModelFiles {
        final Map<String, String> files = new HashMap<String, String>();

        @Override
        public List<String> list() {
            return new ArrayList<String>(files.keySet());
        }

        @Override
        public String readText(String name) throws IOException {
            if (!files.containsKey(name)) {
                throw new IOException("no " + name);
            }
            return files.get(name);
        }
    }

    /** What a live frame showed when the UI took it (live frames are reused afterwards). */
    static final class Shown {
        final long dropped;
        final Delegate delegate;
        final int imageWidth;
        final int imageHeight;
        final int statsCount;
        final int[] histogram;

        Shown(SegmentationController.Frame f) {
            dropped = f.dropped;
            delegate = f.model.delegate;
            imageWidth = f.result.imageWidth;
            imageHeight = f.result.imageHeight;
            statsCount = f.stats.count;
            histogram = f.result.histogram.clone();
        }
    }

    static final class Events implements SegmentationController.Listener {
        final List<String> log = new ArrayList<String>();
        final List<SegmentationController.Frame> frames = new ArrayList<SegmentationController.Frame>();
        final List<Shown> live = new ArrayList<Shown>();
        SegmentationController controller;
        /** Take each live frame at once (the UI keeping up), or leave them (a UI that lags). */
        boolean takeAtOnce = true;
        int announced;

        @Override
        public void onModelReady(SegmentationController.ModelInfo info) {
            log.add("ready " + info.delegate + " " + info.modelFile);
        }

        @Override
        public void onResult(SegmentationController.Frame frame) {
            frames.add(frame);
            log.add(frame.isStill() ? "still" : "frame");
        }

        @Override
        public void onLiveFrame() {
            announced++;
            if (takeAtOnce) {
                live.add(new Shown(controller.takeLiveFrame()));
                log.add("frame");
            }
        }

        @Override
        public void onFallback(String message) {
            log.add("fallback " + message);
        }

        @Override
        public void onError(String message) {
            log.add("error " + message);
        }
    }

    ManualExecutor worker;
    FakeFactory factory;
    Files files;
    Events events;
    SegmentationController c;
    long now = 1_000_000_000L;

    @Before
    public void setUp() {
        worker = new ManualExecutor();
        factory = new FakeFactory();
        files = new Files();
        String q = "{\"scale\": 0.1, \"zero_point\": 0}";
        files.files.put("bisenetv2_int8_qat.tflite", "");
        files.files.put("bisenetv2_int8_qat.json", meta("uint8", q));
        files.files.put("bisenetv2_fp16.tflite", "");
        files.files.put("bisenetv2_fp16.json", meta("float32", "null"));
        events = new Events();
        c = new SegmentationController(worker, factory, files, events, 8, new SegmentationController.Ticker() {
            @Override
            public long nanoTime() {
                return now;
            }
        });
        events.controller = c;
    }

    /** The camera thread's part for one frame: a slot, a grey frame in it, submitted; false: dropped. */
    boolean offer(int w, int h, int rotation) {
        SegmentationController.FrameSlot slot = c.acquireFrame();
        if (slot == null) {
            return false;
        }
        slot.fillArgb(frame(w, h), w, h, rotation, false);
        c.submit(slot);
        return true;
    }

    static int[] frame(int w, int h) {
        int[] px = new int[w * h];
        Arrays.fill(px, 0xFF808080);
        return px;
    }

    @Test
    public void cpuRunsTheInt8ModelWithClampedThreads() {
        assertTrue(c.configure(Delegate.CPU, 99));
        assertEquals(8, c.threads());
        assertNull(c.current());
        worker.drain();
        assertEquals(Arrays.asList("CPU:bisenetv2_int8_qat.tflite:8"), factory.opened);
        assertEquals(Arrays.asList("ready CPU bisenetv2_int8_qat.tflite"), events.log);
        assertEquals(Delegate.CPU, c.current().delegate);
        assertFalse("same choice: no reload", c.configure(Delegate.CPU, 8));
        assertTrue(c.configure(Delegate.CPU, 2));
        worker.drain();
        assertEquals("CPU:bisenetv2_int8_qat.tflite:8", factory.closed.get(0));
        assertEquals("CPU:bisenetv2_int8_qat.tflite:2", factory.opened.get(1));
        assertTrue(c.configure(Delegate.CPU, 0));
        assertEquals(1, c.threads());
    }

    @Test
    public void theChosenModelRunsOnTheCpuAndTheThreadSliderKeepsIt() {
        assertTrue(c.configure(Delegate.CPU, "bisenetv2_fp16.tflite", 4));
        worker.drain();
        assertEquals(Arrays.asList("CPU:bisenetv2_fp16.tflite:4"), factory.opened);
        assertEquals("bisenetv2_fp16.tflite", c.current().modelFile);
        assertFalse("same choice: no reload", c.configure(Delegate.CPU, "bisenetv2_fp16.tflite", 4));
        assertTrue(c.configure(Delegate.CPU, 2)); // the thread slider keeps the model
        worker.drain();
        assertEquals("CPU:bisenetv2_fp16.tflite:2", factory.opened.get(1));
        assertTrue(c.configure(Delegate.CPU, "bisenetv2_int8_qat.tflite", 2));
        worker.drain();
        assertEquals("CPU:bisenetv2_int8_qat.tflite:2", factory.opened.get(2));
        assertTrue("back to the delegate's preferred model", c.configure(Delegate.CPU, null, 2));
        assertNull(c.model());
    }

    @Test
    public void aChosenModelMissingFromTheAssetsIsAnError() {
        c.configure(Delegate.CPU, "bisenetv2_int8_ptq.tflite", 4);
        worker.drain();
        assertTrue(factory.opened.isEmpty());
        assertEquals(Arrays.asList("error Could not load the model: bisenetv2_int8_ptq.tflite (with its .json) is not"
                + " in the app's assets"), events.log);
    }

    @Test
    public void theModelChoicesAreTheModelsWithMetadataInCpuOrder() {
        files.files.put("bisenetv2_int8_ptq.tflite", ""); // no .json: not offered
        files.files.put("bisenetv2_fp32.tflite", "");
        files.files.put("bisenetv2_fp32.json", meta("float32", "null"));
        files.files.put("notes.txt", "");
        assertEquals(Arrays.asList("bisenetv2_int8_qat.tflite", "bisenetv2_fp16.tflite", "bisenetv2_fp32.tflite"),
                SegmentationController.modelsIn(files.list()));
        assertEquals("INT8 (QAT)", SegmentationController.modelLabel("bisenetv2_int8_qat.tflite"));
        assertEquals("INT8 (PTQ)", SegmentationController.modelLabel("bisenetv2_int8_ptq.tflite"));
        assertEquals("FP16", SegmentationController.modelLabel("bisenetv2_fp16.tflite"));
        assertEquals("x.tflite", SegmentationController.modelLabel("x.tflite"));
    }

    @Test
    public void gpuRunsTheFp16ModelAndNnapiTheInt8Model() {
        c.configure(Delegate.GPU, 4);
        worker.drain();
        c.configure(Delegate.NNAPI, 4);
        worker.drain();
        assertEquals(Arrays.asList("GPU:bisenetv2_fp16.tflite:4", "NNAPI:bisenetv2_int8_qat.tflite:4"),
                factory.opened);
        assertEquals(Arrays.asList("GPU:bisenetv2_fp16.tflite:4"), factory.closed);
        assertNull(c.note(34));
    }

    @Test
    public void delegateThatCannotStartFallsBackToCpuVisibly() {
        factory.failOpen.put(Delegate.GPU, "OpenCL unavailable");
        c.configure(Delegate.GPU, 4);
        worker.drain();
        assertEquals(Arrays.asList("CPU:bisenetv2_int8_qat.tflite:4"), factory.opened);
        assertEquals(Delegate.CPU, c.delegate());
        assertEquals(Delegate.CPU, c.current().delegate);
        assertEquals("fallback GPU could not start: OpenCL unavailable. Running on the CPU instead.",
                events.log.get(0));
        assertEquals("ready CPU bisenetv2_int8_qat.tflite", events.log.get(1));
        assertEquals("GPU could not start: OpenCL unavailable. Running on the CPU instead.", c.note(30));
        // the fallback note stays until the user picks another delegate
        c.configure(Delegate.CPU, 2);
        assertNotNull(c.note(30));
        c.configure(Delegate.NNAPI, 2);
        worker.drain();
        assertNull(c.note(30));
    }

    @Test
    public void nativeLibraryThatDoesNotLoadIsReportedNotFatal() {
        factory.failOpen.put(Delegate.GPU, "dlopen failed: libtensorflowlite_gpu_jni.so not found");
        c.configure(Delegate.GPU, 4);
        worker.drain();
        assertEquals("fallback GPU could not start: dlopen failed: libtensorflowlite_gpu_jni.so not found."
                + " Running on the CPU instead.", events.log.get(0));
        assertEquals(Delegate.CPU, c.current().delegate);
        factory.failOpen.put(Delegate.CPU, "dlopen failed: libtensorflowlite_jni.so not found");
        c.configure(Delegate.CPU, 2);
        worker.drain();
        assertEquals("error Could not load the model: dlopen failed: libtensorflowlite_jni.so not found",
                events.log.get(events.log.size() - 1));
    }

    @Test
    public void delegateThatFailsWhileRunningFallsBackToCpu() {
        factory.failRun.put(Delegate.NNAPI, "ANEURALNETWORKS_OP_FAILED\nmore");
        c.configure(Delegate.NNAPI, 4);
        worker.drain();
        assertTrue(offer(6, 4, 0));
        worker.drain();
        assertTrue(events.log.contains("fallback NNAPI failed while running: ANEURALNETWORKS_OP_FAILED."
                + " Running on the CPU instead."));
        assertEquals(Delegate.CPU, c.delegate());
        assertEquals(Arrays.asList("NNAPI:bisenetv2_int8_qat.tflite:4"), factory.closed);
        // the next frame runs on the CPU
        assertTrue(offer(6, 4, 0));
        worker.drain();
        assertEquals("frame", events.log.get(events.log.size() - 1));
        assertEquals(Delegate.CPU, events.live.get(0).delegate);
    }

    @Test
    public void cpuFailureIsAnErrorNotAFallback() {
        factory.failOpen.put(Delegate.CPU, "bad model");
        c.configure(Delegate.CPU, 4);
        worker.drain();
        assertEquals(Arrays.asList("error Could not load the model: bad model"), events.log);
        assertNull(c.current());
        assertNull(c.acquireFrame());
    }

    @Test
    public void fallbackWhenTheCpuFailsTooIsReported() {
        factory.failOpen.put(Delegate.GPU, "no GPU");
        factory.failOpen.put(Delegate.CPU, "bad model");
        c.configure(Delegate.GPU, 4);
        worker.drain();
        assertEquals(2, events.log.size());
        assertTrue(events.log.get(0).startsWith("fallback GPU could not start: no GPU"));
        assertEquals("error Could not load the model on the CPU either: bad model", events.log.get(1));
    }

    @Test
    public void missingModelsAreAnError() {
        files.files.clear();
        c.configure(Delegate.CPU, 4);
        worker.drain();
        assertTrue(events.log.get(0), events.log.get(0).startsWith("error Could not load the model: no model"));
    }

    @Test
    public void nnapiIsMarkedDeprecatedFromAndroid15() {
        c.configure(Delegate.NNAPI, 4);
        assertNull(c.note(34));
        assertTrue(c.note(35).startsWith("NNAPI is deprecated from Android 15"));
        assertTrue(Delegate.NNAPI.labelFor(35).contains("deprecated"));
        factory.failOpen.put(Delegate.NNAPI, "refused");
        worker.drain();
        assertFalse("fell back to the CPU: no NNAPI note", c.note(35).contains("deprecated"));
        assertTrue(c.note(35).startsWith("NNAPI could not start: refused"));
    }

    @Test
    public void twoFramesAtMostTheRestAreDroppedNotQueued() {
        assertFalse("no model yet: dropped", offer(6, 4, 0));
        c.configure(Delegate.CPU, 4);
        worker.drain();
        assertTrue("slot 1: run next", offer(6, 4, 0));
        assertTrue("slot 2: prepared while slot 1 runs", offer(6, 4, 0));
        // both slots busy: every new camera frame is dropped
        for (int i = 0; i < 5; i++) {
            assertFalse(offer(6, 4, 0));
        }
        assertEquals("two tasks queued, never more", 2, worker.tasks.size());
        assertEquals(6, c.droppedFrames());
        assertEquals(2, worker.drain());
        assertEquals(2, factory.runs);
        assertEquals(2, events.live.size());
        assertEquals(6, events.live.get(0).dropped);
        // the slots are free again
        SegmentationController.FrameSlot slot = c.acquireFrame();
        assertNotNull(slot);
        c.cancel(slot); // e.g. the camera image went away while converting
        assertTrue(offer(6, 4, 90));
        worker.drain();
        assertEquals(3, factory.runs);
        Shown f = events.live.get(2);
        assertEquals("rotated upright", 4, f.imageWidth);
        assertEquals(6, f.imageHeight);
        assertEquals(3, f.statsCount);
    }

    @Test
    public void aFrameFailingEveryTimeIsReportedOnceAndTheSlotsAreFreed() {
        factory.failRun.put(Delegate.CPU, "boom");
        c.configure(Delegate.CPU, 4);
        worker.drain();
        for (int i = 0; i < 6; i++) {
            assertTrue("the failed frame gave its slot back", offer(6, 4, 0));
            worker.drain();
            now += 1_000_000_000L; // one second per frame
        }
        assertEquals(Arrays.asList("ready CPU bisenetv2_int8_qat.tflite", "error Inference failed: boom"),
                events.log);
        now += SegmentationController.ERROR_INTERVAL_NANOS;
        assertTrue(offer(6, 4, 0));
        worker.drain();
        assertEquals("after the interval, once more, with the count",
                "error Inference failed: boom (repeated 6 times)", events.log.get(events.log.size() - 1));
        // a new model: the next failure is news again
        c.configure(Delegate.CPU, 2);
        worker.drain();
        assertTrue(offer(6, 4, 0));
        worker.drain();
        assertEquals("error Inference failed: boom", events.log.get(events.log.size() - 1));
    }

    @Test
    public void outOfMemoryInAFrameIsReportedAndTheAppGoesOn() {
        c.configure(Delegate.CPU, 4);
        worker.drain();
        factory.throwOnRun = new OutOfMemoryError("Failed to allocate 4147200 bytes");
        assertTrue(offer(6, 4, 0));
        assertTrue(offer(6, 4, 0));
        worker.drain(); // would kill the worker thread (and the app) if it escaped
        assertEquals("error Inference failed: Failed to allocate 4147200 bytes",
                events.log.get(events.log.size() - 1));
        assertEquals("the second one is not a second toast", 2, events.log.size());
        factory.throwOnRun = null;
        assertTrue(offer(6, 4, 0));
        worker.drain();
        assertEquals("frame", events.log.get(events.log.size() - 1));
    }

    @Test
    public void aModelThatRunsOutOfMemoryLoadingIsAnError() {
        SegmentationController oom = new SegmentationController(worker, new SegmentationController.EngineFactory() {
            @Override
            public SegmentationController.Engine open(String modelFile, ModelMetadata meta, Delegate delegate,
                                                      int threads) {
                throw new OutOfMemoryError("no room for the interpreter");
            }
        }, files, events, 8);
        oom.configure(Delegate.CPU, 4);
        worker.drain();
        assertEquals(Arrays.asList("error Could not load the model: no room for the interpreter"), events.log);
    }

    @Test
    public void theUiGetsTheNewestLiveFrameAndOneNotificationUntilItTakesIt() {
        events.takeAtOnce = false;
        c.configure(Delegate.CPU, 4);
        worker.drain();
        assertNull("nothing yet", c.takeLiveFrame());
        for (int i = 0; i < 3; i++) {
            assertTrue(offer(6, 4, 0));
            worker.drain();
        }
        assertEquals("one notification while the UI has not taken the frame", 1, events.announced);
        SegmentationController.Frame newest = c.takeLiveFrame();
        assertEquals(3, newest.stats.count);
        assertSame("no newer frame: the same one", newest, c.takeLiveFrame());
        assertTrue(offer(6, 4, 0));
        worker.drain();
        assertEquals("taking it re-armed the notification", 2, events.announced);
        SegmentationController.Frame next = c.takeLiveFrame();
        assertNotSame("never the frame the UI still holds", newest, next);
        assertEquals(4, next.stats.count);
        // three frame objects in rotation, nothing new per frame
        Set<SegmentationController.Frame> seen = Collections.newSetFromMap(
                new IdentityHashMap<SegmentationController.Frame, Boolean>());
        for (int i = 0; i < 10; i++) {
            assertTrue(offer(6, 4, 0));
            worker.drain();
            seen.add(c.takeLiveFrame());
        }
        assertTrue(seen.size() <= 3);
    }

    @Test
    public void aSlotHeldAcrossAModelChangeIsDroppedNotRun() {
        c.configure(Delegate.CPU, 4);
        worker.drain();
        SegmentationController.FrameSlot old = c.acquireFrame();
        old.fillArgb(frame(6, 4), 6, 4, 0, false);
        c.configure(Delegate.CPU, "bisenetv2_fp16.tflite", 4);
        worker.drain(); // the FP16 model is loaded while the camera thread converts
        c.submit(old);
        worker.drain();
        assertEquals("the old model's frame is not run on the new model", 0, factory.runs);
        assertTrue(events.live.isEmpty());
        assertTrue(offer(6, 4, 0));
        assertTrue(offer(6, 4, 0));
        worker.drain();
        assertEquals(2, factory.runs);
    }

    @Test
    public void framesAreDroppedWhileTheModelReloads() {
        c.configure(Delegate.CPU, 4);
        worker.drain();
        c.configure(Delegate.GPU, 4);
        assertFalse(offer(6, 4, 0));
        worker.drain();
        assertTrue(offer(6, 4, 0));
    }

    @Test
    public void theLiveLoopAllocatesNothingPerFrame() {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.Assume.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        final SegmentationController[] ctl = new SegmentationController[1];
        SegmentationController.Listener ui = new SegmentationController.Listener() {
            @Override
            public void onModelReady(SegmentationController.ModelInfo info) {
            }

            @Override
            public void onResult(SegmentationController.Frame frame) {
            }

            @Override
            public void onLiveFrame() {
                ctl[0].takeLiveFrame();
            }

            @Override
            public void onFallback(String message) {
            }

            @Override
            public void onError(String message) {
            }
        };
        ctl[0] = new SegmentationController(worker, factory, files, ui, 8);
        ctl[0].configure(Delegate.CPU, 4);
        worker.drain();
        int[] px = frame(64, 48);
        long id = Thread.currentThread().getId();
        // after a warm-up, some window of 100 frames out of five must allocate nothing: the JIT
        // itself allocates a hundred bytes or so now and then on the running thread
        // (deoptimization rematerializes scalar-replaced objects; with -Xint these loops
        // allocate nothing at all), while a per-frame allocation fills every window
        long[] windows = new long[6];
        for (int w = 0; w < windows.length; w++) {
            long before = mx.getThreadAllocatedBytes(id);
            for (int i = 0; i < (w == 0 ? 500 : 100); i++) {
                SegmentationController.FrameSlot slot = ctl[0].acquireFrame();
                slot.fillArgb(px, 64, 48, 90, false);
                ctl[0].submit(slot);
                worker.drain();
            }
            windows[w] = mx.getThreadAllocatedBytes(id) - before;
            if (w > 0 && windows[w] == 0) {
                return;
            }
        }
        throw new AssertionError("every window of 100 live frames (camera side + worker + UI hand-off) allocated: "
                + Arrays.toString(windows) + " bytes (the first: the warm-up)");
    }

    @Test
    public void photoModeRefusesCameraFramesAndSegmentsPictures() {
        c.configure(Delegate.CPU, 4);
        worker.drain();
        assertTrue(offer(6, 4, 0));
        worker.drain();
        c.setMode(SegmentationController.Mode.PHOTO);
        assertFalse(offer(6, 4, 0));
        final int[] px = frame(24, 16);
        c.segmentStill(new SegmentationController.PictureLoader() {
            @Override
            public SegmentationController.Picture load() {
                return new SegmentationController.Picture(px, 24, 16);
            }
        });
        worker.drain();
        SegmentationController.Frame still = events.frames.get(0);
        assertTrue(still.isStill());
        assertEquals(24 * 16, still.blendedArgb.length);
        assertEquals(24, still.result.imageWidth);
        // class 1 (red) blended at MASK_ALPHA over grey 0x80
        int expectR = (255 * SegmentationController.MASK_ALPHA + 0x80 * (255 - SegmentationController.MASK_ALPHA)
                + 127) / 255;
        assertEquals(expectR, (still.blendedArgb[0] >> 16) & 0xFF);
        assertEquals("24x16 letterboxed to the whole 12x8 input, all class 1", H * W, still.result.histogram[1]);
        // back to live: a new latency window
        c.setMode(SegmentationController.Mode.LIVE);
        assertTrue(offer(6, 4, 0));
        worker.drain();
        assertEquals(1, events.live.get(1).statsCount);
    }

    @Test
    public void aFrameQueuedBeforeSwitchingToPhotoIsNotReported() {
        c.configure(Delegate.CPU, 4);
        worker.drain();
        assertTrue(offer(6, 4, 0));
        assertTrue(offer(6, 4, 0));
        c.setMode(SegmentationController.Mode.PHOTO);
        worker.drain();
        assertTrue(events.live.isEmpty());
        c.setMode(SegmentationController.Mode.LIVE);
        assertTrue("the dropped frames released their slots", offer(6, 4, 0));
        assertTrue(offer(6, 4, 0));
    }

    @Test
    public void pictureBeforeAnyModelIsAnError() {
        c.segmentStill(new SegmentationController.PictureLoader() {
            @Override
            public SegmentationController.Picture load() {
                throw new AssertionError("not loaded without a model");
            }
        });
        worker.drain();
        assertEquals(Arrays.asList("error No model loaded yet"), events.log);
    }

    @Test
    public void closeReleasesTheInterpreter() {
        c.configure(Delegate.GPU, 4);
        worker.drain();
        c.close();
        assertNull(c.acquireFrame());
        worker.drain();
        assertEquals(Arrays.asList("GPU:bisenetv2_fp16.tflite:4"), factory.closed);
        assertNull(c.current());
    }
}

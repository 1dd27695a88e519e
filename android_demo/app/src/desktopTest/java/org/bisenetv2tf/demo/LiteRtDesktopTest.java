package org.bisenetv2tf.demo;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.Json;
import org.bisenetv2tf.core.ModelMetadata;
import org.junit.AfterClass;
import org.junit.Test;

/**
 * The app's real inference path on the desktop JVM: the app's {@link SegmentationController}
 * with its {@link LiteRtEngineFactory} on LiteRT's own Java classes (the APK's) and the APK's
 * x86_64 libLiteRt.so (made loadable on glibc by tools/desktop_litert/port_litert.sh and
 * loaded by the factory's System.loadLibrary("LiteRt")), fed recorded camera frames
 * (YUV_420_888 planes) through the live path exactly as CameraSource feeds it:
 * acquireFrame, fillYuv, submit, the worker runs the model, takeLiveFrame.
 *
 * <p>Each model the APK carries runs every frame of tools/desktop_litert/frames.py, whose
 * Python reference decoded the same planes, preprocessed them with
 * bisenetv2_tf.runtime.metadata.preprocess_rgb and ran ai-edge-litert on the result. Required:
 * the app's input tensor equals the reference's byte for byte, and the class maps (the
 * letterbox's valid region) are equal on every pixel. Raw outputs are compared and reported.
 *
 * <p>System properties (build_apk.sh --check sets them): {@code desktop.frames} (frames.py's
 * folder), {@code desktop.assets} (the APK's assets), {@code java.library.path} (the patched
 * libLiteRt.so and its shim).
 */
public class LiteRtDesktopTest {
    static final int THREADS = 2;
    static final long TIMEOUT_S = 120;
    static final List<String> SUMMARY = new ArrayList<String>();

    static File dir(String property) {
        String p = System.getProperty(property);
        if (p == null) {
            throw new IllegalStateException("set -D" + property);
        }
        return new File(p);
    }

    /** The APK's assets as the app's ModelFiles and ModelBuffers (files memory-mapped like the APK's). */
    static final class AssetDir implements SegmentationController.ModelFiles, LiteRtEngineFactory.ModelBuffers {
        final File dir;

        AssetDir(File dir) {
            this.dir = dir;
        }

        @Override
        public List<String> list() {
            String[] names = dir.list();
            return names == null ? new ArrayList<String>() : Arrays.asList(names);
        }

        @Override
        public String readText(String name) throws IOException {
            return new String(Files.readAllBytes(new File(dir, name).toPath()), StandardCharsets.UTF_8);
        }

        @Override
        public ByteBuffer map(String name) throws IOException {
            RandomAccessFile f = new RandomAccessFile(new File(dir, name), "r");
            try {
                return f.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, f.length());
            } finally {
                f.close();
            }
        }
    }

    /** The factory's engines, with a copy of each run's input and output kept for the comparison. */
    static final class Recording implements SegmentationController.EngineFactory {
        final LiteRtEngineFactory real;
        volatile byte[] lastInput;
        volatile byte[] lastOutput;

        Recording(LiteRtEngineFactory real) {
            this.real = real;
        }

        @Override
        public SegmentationController.Engine open(String modelFile, ModelMetadata meta, Delegate delegate, int threads)
                throws Exception {
            final SegmentationController.Engine engine = real.open(modelFile, meta, delegate, threads);
            return new SegmentationController.Engine() {
                @Override
                public void run(ByteBuffer input, ByteBuffer output) throws Exception {
                    lastInput = bytes(input);
                    engine.run(input, output);
                    lastOutput = bytes(output);
                }

                @Override
                public void close() {
                    engine.close();
                }
            };
        }

        static byte[] bytes(ByteBuffer b) {
            ByteBuffer d = b.duplicate();
            d.rewind();
            byte[] out = new byte[d.remaining()];
            d.get(out);
            return out;
        }
    }

    /** What the controller tells the Activity, as a queue the test waits on. */
    static final class Events implements SegmentationController.Listener {
        final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<String>();

        @Override
        public void onModelReady(SegmentationController.ModelInfo info) {
            queue.add("ready " + info.modelFile);
        }

        @Override
        public void onResult(SegmentationController.Frame frame) {
            queue.add("result");
        }

        @Override
        public void onLiveFrame() {
            queue.add("live");
        }

        @Override
        public void onFallback(String message) {
            queue.add("fallback " + message);
        }

        @Override
        public void onError(String message) {
            queue.add("error " + message);
        }

        String next() throws InterruptedException {
            String e = queue.poll(TIMEOUT_S, TimeUnit.SECONDS);
            if (e == null) {
                fail("the controller said nothing for " + TIMEOUT_S + " s");
            }
            return e;
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> manifest() throws IOException {
        File f = new File(dir("desktop.frames"), "frames.json");
        return Json.parseObject(new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8));
    }

    static int num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }

    /** A slice of the frame's bytes starting at a plane's offset (camera2 hands out one buffer per plane). */
    static ByteBuffer plane(ByteBuffer frame, Map<String, Object> p) {
        ByteBuffer d = frame.duplicate();
        d.position(num(p, "offset"));
        return d.slice();
    }

    static byte[] read(String relative) throws IOException {
        return Files.readAllBytes(new File(dir("desktop.frames"), relative).toPath());
    }

    @Test
    public void int8ModelMatchesPythonLiteRt() throws Exception {
        runModel("_int8_");
    }

    @Test
    public void fp16ModelMatchesPythonLiteRt() throws Exception {
        runModel("_fp16");
    }

    @SuppressWarnings("unchecked")
    void runModel(String kind) throws Exception {
        Map<String, Object> manifest = manifest();
        Map<String, Object> models = (Map<String, Object>) manifest.get("models");
        String model = null;
        for (String m : models.keySet()) {
            if (m.contains(kind)) {
                model = m;
            }
        }
        assertNotNull("no " + kind + " model in frames.json: " + models.keySet(), model);
        Map<String, Object> cases = (Map<String, Object>) ((Map<String, Object>) models.get(model)).get("frames");
        List<Object> frames = (List<Object>) manifest.get("frames");

        AssetDir assets = new AssetDir(dir("desktop.assets"));
        Recording engines = new Recording(new LiteRtEngineFactory(assets));
        Events events = new Events();
        ExecutorService worker = Executors.newSingleThreadExecutor();
        SegmentationController c = new SegmentationController(worker, engines, assets, events, THREADS);
        try {
            c.configure(Delegate.CPU, model, THREADS);
            assertEquals("ready " + model, events.next());
            int inputsEqual = 0;
            int outputsEqual = 0;
            long pixels = 0;
            long pixelsEqual = 0;
            double[] inferenceMs = new double[frames.size()];
            StringBuilder worst = new StringBuilder();
            for (int i = 0; i < frames.size(); i++) {
                Map<String, Object> f = (Map<String, Object>) frames.get(i);
                String name = (String) f.get("name");
                Map<String, Object> ref = (Map<String, Object>) cases.get(name);
                byte[] bytes = read((String) f.get("file"));
                ByteBuffer frame = ByteBuffer.allocateDirect(bytes.length);
                frame.put(bytes);
                Map<String, Object> y = (Map<String, Object>) f.get("y");
                Map<String, Object> u = (Map<String, Object>) f.get("u");
                Map<String, Object> v = (Map<String, Object>) f.get("v");
                assertEquals(num(u, "rowStride"), num(v, "rowStride"));
                assertEquals(num(u, "pixelStride"), num(v, "pixelStride"));

                // the camera thread's part (CameraSource.onImageAvailable), then the worker's
                SegmentationController.FrameSlot slot = c.acquireFrame();
                assertNotNull("no free slot for " + name, slot);
                slot.fillYuv(plane(frame, y), num(y, "rowStride"), num(y, "pixelStride"), plane(frame, u),
                        plane(frame, v), num(u, "rowStride"), num(u, "pixelStride"), num(f, "width"),
                        num(f, "height"), num(f, "rotation"), false);
                c.submit(slot);
                String e = events.next();
                assertEquals(name + ": " + e, "live", e);
                SegmentationController.Frame out = c.takeLiveFrame();

                // input tensor: the app's YUV conversion + letterbox vs the Python reference
                byte[] refInput = read((String) ref.get("input"));
                byte[] input = engines.lastInput;
                assertEquals(name + ": input tensor size", refInput.length, input.length);
                int diff = 0;
                for (int k = 0; k < input.length; k++) {
                    diff += input[k] != refInput[k] ? 1 : 0;
                }
                assertEquals(name + ": input tensor bytes that differ from the reference's", 0, diff);
                inputsEqual++;
                outputsEqual += Arrays.equals(engines.lastOutput, read((String) ref.get("output"))) ? 1 : 0;

                // class map of the valid region
                int rh = num(ref, "validHeight");
                int rw = num(ref, "validWidth");
                assertEquals(name + ": upright width", num(ref, "imageWidth"), out.result.imageWidth);
                assertEquals(name + ": upright height", num(ref, "imageHeight"), out.result.imageHeight);
                assertEquals(name + ": valid height", rh, out.result.letterbox.resizedHeight);
                assertEquals(name + ": valid width", rw, out.result.letterbox.resizedWidth);
                byte[] refMap = read((String) ref.get("classMap"));
                int same = 0;
                for (int r = 0; r < rh; r++) {
                    for (int col = 0; col < rw; col++) {
                        same += out.result.classMap[r * out.result.mapWidth + col] == (refMap[r * rw + col] & 0xFF) ? 1 : 0;
                    }
                }
                pixels += (long) rh * rw;
                pixelsEqual += same;
                if (same < rh * rw) {
                    worst.append(String.format(Locale.ROOT, " %s %.3f%%;", name, 100.0 * same / (rh * rw)));
                }
                inferenceMs[i] = out.result.inferenceMs();
            }
            Arrays.sort(inferenceMs);
            String line = String.format(Locale.ROOT,
                    "%s (%s): %d frames, input tensors identical to the reference %d/%d, raw output identical %d/%d,"
                            + " class maps %.3f%% of %d pixels equal, median inference %.1f ms (%d threads)",
                    model, SegmentationController.modelLabel(model), frames.size(), inputsEqual, frames.size(),
                    outputsEqual, frames.size(), 100.0 * pixelsEqual / pixels, pixels,
                    inferenceMs[inferenceMs.length / 2], THREADS);
            System.out.println(line);
            SUMMARY.add(line);
            assertTrue("class maps differ from the Python reference:" + worst, pixelsEqual == pixels);
        } finally {
            c.close();
            worker.shutdown();
            worker.awaitTermination(TIMEOUT_S, TimeUnit.SECONDS);
        }
    }

    /** build_apk.sh prints these lines under its check. */
    @AfterClass
    public static void writeSummary() throws IOException {
        String out = System.getProperty("desktop.summary");
        if (out != null) {
            StringBuilder sb = new StringBuilder();
            for (String s : SUMMARY) {
                sb.append(s).append('\n');
            }
            Files.write(new File(out).toPath(), sb.toString().getBytes(StandardCharsets.UTF_8));
        }
    }
}

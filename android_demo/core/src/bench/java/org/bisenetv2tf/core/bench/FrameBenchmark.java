package org.bisenetv2tf.core.bench;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Locale;
import org.bisenetv2tf.core.FramePostprocessor;
import org.bisenetv2tf.core.ImageOps;
import org.bisenetv2tf.core.Letterbox;
import org.bisenetv2tf.core.LetterboxWriter;
import org.bisenetv2tf.core.MaskRenderer;
import org.bisenetv2tf.core.ModelMetadata;
import org.bisenetv2tf.core.Postprocessor;
import org.bisenetv2tf.core.Preprocessor;
import org.bisenetv2tf.core.SegmentationPipeline;
import org.bisenetv2tf.core.YuvConverter;

/**
 * The Java work around the model, per camera frame, on this JVM: 640x480 YUV_420_888 frames
 * (NV21 layout, as most phones deliver) into the model's input (the INT8 model's metadata:
 * 384x480 uint8 in, 384x480x11 uint8 logits out). For each stage: the median milliseconds over
 * the timed frames and the bytes the thread allocated per frame
 * ({@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes}), after a warm-up.
 *
 * <p>Two paths: "before", the per-frame code this app had (static YUV conversion, a rotated
 * copy, {@code Preprocessor.preprocess} with a resized copy and fresh filter coefficients,
 * a new class map and mask per frame), and "now", the live path of
 * {@link SegmentationPipeline} (reused buffers, fused rotate + letterbox + normalize, one-pass
 * argmax + mask + histogram). The model itself is not run here (LiteRT's Java API runs on
 * Android only); bench.sh times it with Python's ai-edge-litert on the same CPU.
 *
 * <p>Usage: {@code FrameBenchmark [metadata.json] [--frames N] [--warmup N]}; prints a
 * Markdown table and {@code key=value} lines for the script.
 */
public final class FrameBenchmark {
    private static final int SENSOR_W = 640;
    private static final int SENSOR_H = 480;

    private FrameBenchmark() {
    }

    /** The INT8 CamVid model's input/output, if no metadata file is given. */
    static final String DEFAULT_META = "{\"format\": \"bisenetv2-tf/metadata\", \"version\": 1,"
            + "\"input\": {\"shape\": [1, 384, 480, 3], \"dtype\": \"uint8\","
            + " \"quantization\": {\"scale\": 0.019302479922771454, \"zero_point\": 89}},"
            + "\"output\": {\"shape\": [1, 384, 480, 11], \"dtype\": \"uint8\","
            + " \"quantization\": {\"scale\": 0.4866752624511719, \"zero_point\": 122}, \"kind\": \"logits\"},"
            + "\"normalization\": {\"mean\": [0.3257, 0.369, 0.3223], \"std\": [0.2112, 0.2148, 0.2115]},"
            + "\"resize\": \"letterbox\", \"labels\": [\"Sky\", \"Building\", \"Pole\", \"Road\", \"Pavement\","
            + " \"Tree\", \"SignSymbol\", \"Fence\", \"Car\", \"Pedestrian\", \"Bicyclist\"],"
            + "\"colors\": [[128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128], [60, 40, 222],"
            + " [128, 128, 0], [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0], [0, 128, 192]]}";

    /** A camera2-like NV21 frame: Y plane, and U/V "planes" that are views of one interleaved VU buffer. */
    static final class Yuv {
        final ByteBuffer y;
        final ByteBuffer u;
        final ByteBuffer v;
        final int yRowStride = SENSOR_W;
        final int uvRowStride = SENSOR_W;
        final int uvPixelStride = 2;

        Yuv(long seed) {
            y = ByteBuffer.allocateDirect(SENSOR_W * SENSOR_H);
            ByteBuffer vu = ByteBuffer.allocateDirect(SENSOR_W * SENSOR_H / 2);
            long s = seed;
            for (int r = 0; r < SENSOR_H; r++) {
                for (int c = 0; c < SENSOR_W; c++) {
                    s = s * 6364136223846793005L + 1442695040888963407L;
                    // smooth gradients plus noise: a plausible scene for the filters
                    y.put(r * SENSOR_W + c, (byte) ((r / 2 + c / 3 + (int) (s >>> 60)) & 0xFF));
                }
            }
            for (int i = 0; i < vu.capacity(); i++) {
                vu.put(i, (byte) (96 + (i * 7 % 64)));
            }
            v = vu.duplicate();
            ByteBuffer uu = vu.duplicate();
            uu.position(1);
            u = uu.slice();
        }
    }

    interface Stage {
        void run() throws Exception;
    }

    static final class Timing {
        final String name;
        double medianMs;
        double bytesPerFrame;

        Timing(String name) {
            this.name = name;
        }
    }

    static com.sun.management.ThreadMXBean mx;

    static long allocated() {
        return mx.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** Times each stage in turn per frame (so the stages see the same data as in the app). */
    static Timing[] measure(String[] names, Stage[] stages, int warmup, int frames) throws Exception {
        for (int i = 0; i < warmup; i++) {
            for (Stage s : stages) {
                s.run();
            }
        }
        long[][] nanos = new long[stages.length][frames];
        long[] bytes = new long[stages.length];
        long overhead = allocated();
        overhead = allocated() - overhead; // the probe's own allocation, if any
        for (int f = 0; f < frames; f++) {
            for (int i = 0; i < stages.length; i++) {
                long a0 = allocated();
                long t0 = System.nanoTime();
                stages[i].run();
                long t1 = System.nanoTime();
                long a1 = allocated();
                nanos[i][f] = t1 - t0;
                bytes[i] += a1 - a0 - overhead;
            }
        }
        Timing[] out = new Timing[stages.length];
        for (int i = 0; i < stages.length; i++) {
            long[] sorted = nanos[i].clone();
            Arrays.sort(sorted);
            out[i] = new Timing(names[i]);
            out[i].medianMs = sorted[frames / 2] / 1e6;
            out[i].bytesPerFrame = Math.max(0, bytes[i]) / (double) frames;
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        String metaPath = null;
        int frames = 300;
        int warmup = 300;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--frames")) {
                frames = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--warmup")) {
                warmup = Integer.parseInt(args[++i]);
            } else {
                metaPath = args[i];
            }
        }
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean)) {
            throw new IllegalStateException("this JVM has no com.sun.management.ThreadMXBean");
        }
        mx = (com.sun.management.ThreadMXBean) bean;
        mx.setThreadAllocatedMemoryEnabled(true);
        String json = metaPath != null
                ? new String(Files.readAllBytes(Paths.get(metaPath)), StandardCharsets.UTF_8) : DEFAULT_META;
        final ModelMetadata meta = ModelMetadata.parse(json);
        System.out.println("model input " + meta.inputHeight() + "x" + meta.inputWidth() + " " + meta.input.dtype.jsonName
                + ", output " + meta.output.dim(1) + "x" + meta.output.dim(2) + "x" + meta.output.dim(3) + " "
                + meta.output.dtype.jsonName + (metaPath != null ? " (" + Paths.get(metaPath).getFileName() + ")" : ""));
        System.out.println("frames: " + SENSOR_W + "x" + SENSOR_H + " YUV_420_888 (NV21 layout); " + warmup
                + " warm-up frames, " + frames + " timed; " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version"));

        final Yuv yuv = new Yuv(42);
        // logits as a model would leave them: random bytes with some structure
        final ByteBuffer output = ByteBuffer.allocateDirect(meta.output.numBytes()).order(ByteOrder.nativeOrder());
        long s = 7;
        for (int i = 0; i < output.capacity(); i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            output.put(i, (byte) (s >>> 56));
        }
        final int[] colorTable = MaskRenderer.colorTable(meta.colors(), 140);
        StringBuilder table = new StringBuilder();
        table.append("| rotation (upright -> letterbox) | path | YUV->ARGB ms | rotate+letterbox+normalize ms "
                + "| argmax+mask+histogram ms | pre+post ms | bytes/frame |\n");
        table.append("|---|---|---:|---:|---:|---:|---:|\n");

        for (final int rotation : new int[] {90, 0}) {
            Letterbox lb = Letterbox.of(ImageOps.rotatedHeight(SENSOR_W, SENSOR_H, rotation),
                    ImageOps.rotatedWidth(SENSOR_W, SENSOR_H, rotation), meta.inputHeight(), meta.inputWidth());
            String geometry = rotation + "\u00b0 (" + lb.imageWidth + "x" + lb.imageHeight + " -> " + lb.resizedWidth
                    + "x" + lb.resizedHeight + ")";

            // ---- before: the per-frame code the app had
            final Preprocessor pre = new Preprocessor(meta);
            final ByteBuffer input = ByteBuffer.allocateDirect(meta.input.numBytes()).order(ByteOrder.nativeOrder());
            final int[][] frame = {new int[SENSOR_W * SENSOR_H]};
            final Letterbox[] lbOld = new Letterbox[1];
            Timing[] before = measure(new String[] {"yuv", "pre", "post"}, new Stage[] {
                new Stage() {
                    @Override
                    public void run() {
                        YuvConverter.toArgb(yuv.y, yuv.yRowStride, 1, yuv.u, yuv.v, yuv.uvRowStride,
                                yuv.uvPixelStride, SENSOR_W, SENSOR_H, frame[0]);
                    }
                },
                new Stage() {
                    @Override
                    public void run() {
                        int[] upright = rotation == 0 ? frame[0]
                                : ImageOps.rotate(frame[0], SENSOR_W, SENSOR_H, rotation);
                        lbOld[0] = pre.preprocess(upright, ImageOps.rotatedWidth(SENSOR_W, SENSOR_H, rotation),
                                ImageOps.rotatedHeight(SENSOR_W, SENSOR_H, rotation), input);
                    }
                },
                new Stage() {
                    @Override
                    public void run() {
                        output.rewind();
                        int[] classMap = Postprocessor.classMap(output, meta.output, null);
                        MaskRenderer.validRegionMask(classMap, meta.output.dim(2), lbOld[0], colorTable, null);
                        MaskRenderer.histogram(classMap, meta.output.dim(2), lbOld[0], meta.numClasses());
                    }
                }}, warmup, frames);

            // ---- now: the live path's pieces, then the whole of it through SegmentationPipeline
            final YuvConverter converter = new YuvConverter();
            final LetterboxWriter writer = new LetterboxWriter(pre);
            final FramePostprocessor post = new FramePostprocessor(meta.output);
            final int[] argb = new int[SENSOR_W * SENSOR_H];
            final ByteBuffer input2 = ByteBuffer.allocateDirect(meta.input.numBytes()).order(ByteOrder.nativeOrder());
            final int[] classMap = new int[meta.output.dim(1) * meta.output.dim(2)];
            final int[] mask = new int[classMap.length];
            final int[] hist = new int[meta.numClasses()];
            final Letterbox[] lbNew = new Letterbox[1];
            Timing[] now = measure(new String[] {"yuv", "pre", "post"}, new Stage[] {
                new Stage() {
                    @Override
                    public void run() {
                        converter.convert(yuv.y, yuv.yRowStride, 1, yuv.u, yuv.v, yuv.uvRowStride,
                                yuv.uvPixelStride, SENSOR_W, SENSOR_H, argb);
                    }
                },
                new Stage() {
                    @Override
                    public void run() {
                        lbNew[0] = writer.write(argb, SENSOR_W, SENSOR_H, rotation, input2);
                    }
                },
                new Stage() {
                    @Override
                    public void run() {
                        post.process(output, lbNew[0], colorTable, classMap, mask, hist, false);
                    }
                }}, warmup, frames);
            // the fast path must give the same tensor as the old one
            input.rewind();
            input2.rewind();
            if (!input.equals(input2)) {
                throw new AssertionError("the fused letterbox differs from Preprocessor.preprocess");
            }

            // ---- the whole live path (prepare on this thread, infer with a model that copies nothing)
            final SegmentationPipeline pipeline = new SegmentationPipeline(meta, 140);
            final SegmentationPipeline.Slot slot = pipeline.newSlot();
            final SegmentationPipeline.Result result = pipeline.newResult();
            final SegmentationPipeline.InferenceEngine model = new SegmentationPipeline.InferenceEngine() {
                @Override
                public void run(ByteBuffer in, ByteBuffer out) {
                    // a stand-in: leaves the logits the benchmark wrote (the pipeline's own output buffer)
                }
            };
            Timing[] whole = measure(new String[] {"prepare", "infer"}, new Stage[] {
                new Stage() {
                    @Override
                    public void run() {
                        pipeline.prepareYuv(slot, yuv.y, yuv.yRowStride, 1, yuv.u, yuv.v, yuv.uvRowStride,
                                yuv.uvPixelStride, SENSOR_W, SENSOR_H, rotation, false);
                    }
                },
                new Stage() {
                    @Override
                    public void run() throws Exception {
                        pipeline.infer(model, slot, result);
                    }
                }}, warmup, frames);

            row(table, geometry, "before (per-frame code this app had)", before);
            row(table, geometry, "now: stages", now);
            table.append(String.format(Locale.US, "| %s | now: the live path as the app calls it "
                            + "(prepareYuv; infer with the model stubbed) | %s | %s | %s | %.2f | %s |\n",
                    geometry, "\u2014", fmt(whole[0].medianMs) + " (YUV + letterbox)", fmt(whole[1].medianMs),
                    whole[0].medianMs + whole[1].medianMs,
                    bytes(whole[0].bytesPerFrame + whole[1].bytesPerFrame)));
            String key = "rot" + rotation;
            System.out.println(key + ".before.yuv_ms=" + fmt(before[0].medianMs));
            System.out.println(key + ".before.pre_ms=" + fmt(before[1].medianMs));
            System.out.println(key + ".before.post_ms=" + fmt(before[2].medianMs));
            System.out.println(key + ".before.bytes=" + (long) (before[0].bytesPerFrame + before[1].bytesPerFrame
                    + before[2].bytesPerFrame));
            System.out.println(key + ".now.yuv_ms=" + fmt(now[0].medianMs));
            System.out.println(key + ".now.pre_ms=" + fmt(now[1].medianMs));
            System.out.println(key + ".now.post_ms=" + fmt(now[2].medianMs));
            System.out.println(key + ".now.bytes=" + (long) (now[0].bytesPerFrame + now[1].bytesPerFrame
                    + now[2].bytesPerFrame));
            System.out.println(key + ".pipeline.prepare_ms=" + fmt(whole[0].medianMs));
            System.out.println(key + ".pipeline.infer_ms=" + fmt(whole[1].medianMs));
            System.out.println(key + ".pipeline.bytes=" + (long) (whole[0].bytesPerFrame + whole[1].bytesPerFrame));
        }
        System.out.println();
        System.out.print(table);
    }

    private static void row(StringBuilder table, String geometry, String path, Timing[] t) {
        table.append(String.format(Locale.US, "| %s | %s | %s | %s | %s | %.2f | %s |\n", geometry, path,
                fmt(t[0].medianMs), fmt(t[1].medianMs), fmt(t[2].medianMs),
                t[0].medianMs + t[1].medianMs + t[2].medianMs,
                bytes(t[0].bytesPerFrame + t[1].bytesPerFrame + t[2].bytesPerFrame)));
    }

    static String fmt(double ms) {
        return String.format(Locale.US, "%.2f", ms);
    }

    /** Mean bytes per frame; under 100 with one decimal (the JIT's own rare allocations show as fractions). */
    static String bytes(double b) {
        return b < 100 ? String.format(Locale.US, "%.1f", b) : String.format(Locale.US, "%,d", (long) Math.round(b));
    }
}

package org.bisenetv2tf.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Frame -> mask, everything except running the model: rotate upright, letterbox and
 * normalize into an input buffer, let an {@link InferenceEngine} fill the output buffer,
 * argmax, and colour the valid region.
 *
 * <p>Two ways in:
 * <ul>
 *   <li>{@link #run}: one picture (or a test frame) to a new {@link Result}; worker thread.</li>
 *   <li>the live path, which allocates nothing per frame: a producer thread (the camera's)
 *       converts YUV and letterboxes into a {@link Slot} ({@link #prepareYuv}), the worker runs
 *       the model on it and post-processes into a reused {@link Result} ({@link #infer}).
 *       With two slots the producer prepares frame N+1 while the worker runs frame N.</li>
 * </ul>
 * {@code prepare*} may be called by one thread at a time (it owns the converter's and the
 * letterbox's scratch); {@code run} and {@code infer} by the worker only (they share the
 * output buffer). A slot belongs to one thread at a time: its hand-over between the threads
 * must be a happens-before edge (the controller's atomic slot state and executor are).
 */
public final class SegmentationPipeline {
    /** Runs the model: reads {@code input}, writes {@code output} (both rewound, native order). */
    public interface InferenceEngine {
        void run(ByteBuffer input, ByteBuffer output) throws Exception;
    }

    /**
     * One segmented frame. Results of {@link #run} are new objects; the live path reuses
     * them ({@link #newResult}), so a live result is read only while its owner lends it.
     */
    public static final class Result {
        /** Upright image size the mask belongs to. */
        public int imageWidth;
        public int imageHeight;
        public Letterbox letterbox;
        /**
         * Model-size class map (mapWidth x mapHeight). {@link #run} fills all of it, the live path
         * the valid region only (the padding holds -1).
         */
        public final int[] classMap;
        public final int mapWidth;
        public final int mapHeight;
        /**
         * ARGB mask of the valid region: its first letterbox.resizedWidth x letterbox.resizedHeight
         * entries, rows resizedWidth apart.
         */
        public final int[] maskArgb;
        /** Pixels per class inside the valid region. */
        public final int[] histogram;
        /** Live frames from a front camera: the frame was not mirrored, the preview is; draw the mask mirrored. */
        public boolean mirrored;
        /** YUV -> ARGB (live frames; 0 otherwise). */
        public long convertNanos;
        public long preprocessNanos;
        public long inferenceNanos;
        public long postprocessNanos;
        private Letterbox filledFor;

        Result(int[] classMap, int mapWidth, int mapHeight, int[] maskArgb, int[] histogram) {
            this.classMap = classMap;
            this.mapWidth = mapWidth;
            this.mapHeight = mapHeight;
            this.maskArgb = maskArgb;
            this.histogram = histogram;
        }

        public double inferenceMs() {
            return inferenceNanos / 1e6;
        }

        public double totalMs() {
            return (convertNanos + preprocessNanos + inferenceNanos + postprocessNanos) / 1e6;
        }

        /** The class map at the upright image's size (inverse letterbox). */
        public int[] imageClassMap() {
            return MaskRenderer.classMapToImage(classMap, mapWidth, letterbox);
        }
    }

    /** A live frame's input, prepared by the producer thread and run by the worker. */
    public static final class Slot {
        final SegmentationPipeline owner;
        final ByteBuffer input;
        Letterbox letterbox;
        int imageWidth;
        int imageHeight;
        boolean mirrored;
        long convertNanos;
        long preprocessNanos;

        Slot(SegmentationPipeline owner, int inputBytes) {
            this.owner = owner;
            this.input = ByteBuffer.allocateDirect(inputBytes).order(ByteOrder.nativeOrder());
        }

        /** The pipeline (model) this slot was made for. */
        public SegmentationPipeline owner() {
            return owner;
        }

        /** The model input prepared in it. */
        public ByteBuffer input() {
            return input;
        }

        public Letterbox letterbox() {
            return letterbox;
        }
    }

    private final ModelMetadata meta;
    private final Preprocessor preprocessor;
    private final ByteBuffer output;
    private final int[] colorTable;
    private final FramePostprocessor post;
    // producer thread: the converted frame is letterboxed at once, so one ARGB buffer serves every slot
    private final YuvConverter converter = new YuvConverter();
    private final LetterboxWriter producerWriter;
    private int[] producerArgb = new int[0];
    // worker thread (run)
    private LetterboxWriter stillWriter;
    private Slot stillSlot;

    /** {@code maskAlpha}: opacity 0..255 of the live mask. */
    public SegmentationPipeline(ModelMetadata meta, int maskAlpha) {
        this.meta = meta;
        this.preprocessor = new Preprocessor(meta);
        this.output = ByteBuffer.allocateDirect(meta.output.numBytes()).order(ByteOrder.nativeOrder());
        this.colorTable = MaskRenderer.colorTable(meta.colors(), maskAlpha);
        this.post = new FramePostprocessor(meta.output);
        this.producerWriter = new LetterboxWriter(preprocessor);
    }

    public ModelMetadata metadata() {
        return meta;
    }

    /** A new input slot: a direct buffer of the input tensor's size. */
    public Slot newSlot() {
        return new Slot(this, meta.input.numBytes());
    }

    /** A result to reuse on the live path (arrays of the model's output size). */
    public Result newResult() {
        int mapW = post.mapWidth();
        int mapH = post.mapHeight();
        int[] classMap = new int[mapW * mapH];
        Arrays.fill(classMap, -1);
        return new Result(classMap, mapW, mapH, new int[mapW * mapH], new int[meta.numClasses()]);
    }

    /**
     * Producer thread: converts a YUV_420_888 frame ({@link YuvConverter#toArgb}'s arguments) and
     * letterboxes it upright into {@code slot}. {@code rotationDegrees}: clockwise rotation that
     * makes it upright; {@code mirrored}: a front camera's frame, whose preview is mirrored (the
     * model sees the frame unmirrored; the result says to draw the mask mirrored).
     */
    public void prepareYuv(Slot slot, ByteBuffer y, int yRowStride, int yPixelStride, ByteBuffer u, ByteBuffer v,
                           int uvRowStride, int uvPixelStride, int width, int height, int rotationDegrees,
                           boolean mirrored) {
        checkOwner(slot);
        long t0 = System.nanoTime();
        if (producerArgb.length < width * height) {
            producerArgb = new int[width * height];
        }
        converter.convert(y, yRowStride, yPixelStride, u, v, uvRowStride, uvPixelStride, width, height, producerArgb);
        long t1 = System.nanoTime();
        letterbox(producerWriter, slot, producerArgb, width, height, rotationDegrees, mirrored);
        slot.convertNanos = t1 - t0;
        slot.preprocessNanos = System.nanoTime() - t1;
    }

    /** Producer thread: {@link #prepareYuv} for a frame that is already packed ARGB (not copied). */
    public void prepareArgb(Slot slot, int[] argb, int width, int height, int rotationDegrees, boolean mirrored) {
        checkOwner(slot);
        long t0 = System.nanoTime();
        letterbox(producerWriter, slot, argb, width, height, rotationDegrees, mirrored);
        slot.convertNanos = 0;
        slot.preprocessNanos = System.nanoTime() - t0;
    }

    private static void letterbox(LetterboxWriter writer, Slot slot, int[] argb, int width, int height,
                                  int rotationDegrees, boolean mirrored) {
        slot.letterbox = writer.write(argb, width, height, rotationDegrees, slot.input);
        slot.imageWidth = slot.letterbox.imageWidth;
        slot.imageHeight = slot.letterbox.imageHeight;
        slot.mirrored = mirrored;
    }

    /**
     * Worker: runs the model on a prepared slot and post-processes into {@code into} (from
     * {@link #newResult}); returns it.
     */
    public Result infer(InferenceEngine engine, Slot slot, Result into) throws Exception {
        checkOwner(slot);
        if (slot.letterbox == null) {
            throw new IllegalStateException("slot was not prepared");
        }
        output.rewind();
        slot.input.rewind();
        long t1 = System.nanoTime();
        engine.run(slot.input, output);
        long t2 = System.nanoTime();
        Letterbox lb = slot.letterbox;
        if (into.filledFor != null && into.filledFor != lb && (into.filledFor.resizedWidth != lb.resizedWidth
                || into.filledFor.resizedHeight != lb.resizedHeight)) {
            Arrays.fill(into.classMap, -1); // another valid region: no ids of the old one stay behind
        }
        post.process(output, lb, colorTable, into.classMap, into.maskArgb, into.histogram, false);
        into.filledFor = lb;
        long t3 = System.nanoTime();
        into.imageWidth = slot.imageWidth;
        into.imageHeight = slot.imageHeight;
        into.letterbox = lb;
        into.mirrored = slot.mirrored;
        into.convertNanos = slot.convertNanos;
        into.preprocessNanos = slot.preprocessNanos;
        into.inferenceNanos = t2 - t1;
        into.postprocessNanos = t3 - t2;
        return into;
    }

    /**
     * Segments one frame of packed ARGB pixels ({@code width x height} as delivered, before
     * rotation); {@code rotationDegrees} is the clockwise rotation that makes it upright.
     * Worker thread; returns a new result with the whole class map and an exact-size mask.
     */
    public Result run(InferenceEngine engine, int[] argb, int width, int height, int rotationDegrees)
            throws Exception {
        if (stillWriter == null) {
            stillWriter = new LetterboxWriter(preprocessor);
            stillSlot = newSlot();
        }
        long t0 = System.nanoTime();
        letterbox(stillWriter, stillSlot, argb, width, height, rotationDegrees, false);
        Letterbox lb = stillSlot.letterbox;
        output.rewind();
        long t1 = System.nanoTime();
        engine.run(stillSlot.input, output);
        long t2 = System.nanoTime();
        int mapW = post.mapWidth();
        int mapH = post.mapHeight();
        Result r = new Result(new int[mapW * mapH], mapW, mapH, new int[lb.resizedWidth * lb.resizedHeight],
                new int[meta.numClasses()]);
        post.process(output, lb, colorTable, r.classMap, r.maskArgb, r.histogram, true);
        long t3 = System.nanoTime();
        r.imageWidth = lb.imageWidth;
        r.imageHeight = lb.imageHeight;
        r.letterbox = lb;
        r.filledFor = lb;
        r.preprocessNanos = t1 - t0;
        r.inferenceNanos = t2 - t1;
        r.postprocessNanos = t3 - t2;
        return r;
    }

    private void checkOwner(Slot slot) {
        if (slot.owner != this) {
            throw new IllegalArgumentException("slot belongs to another pipeline");
        }
    }
}

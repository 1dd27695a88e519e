package org.bisenetv2tf.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Frame -> mask, everything except running the model: rotate upright, letterbox and
 * normalize into the input buffer, let an {@link InferenceEngine} fill the output buffer,
 * argmax, and colour the valid region. Owns reusable direct buffers; not thread-safe (the
 * app drives it from its single analysis thread).
 */
public final class SegmentationPipeline {
    /** Runs the model: reads {@code input}, writes {@code output} (both rewound, native order). */
    public interface InferenceEngine {
        void run(ByteBuffer input, ByteBuffer output) throws Exception;
    }

    /** One segmented frame. */
    public static final class Result {
        /** Upright image size the mask belongs to. */
        public final int imageWidth;
        public final int imageHeight;
        public final Letterbox letterbox;
        /** Model-size class map (mapWidth x mapHeight), including the padding. */
        public final int[] classMap;
        public final int mapWidth;
        public final int mapHeight;
        /** ARGB mask of the valid region: letterbox.resizedWidth x letterbox.resizedHeight. */
        public final int[] maskArgb;
        /** Pixels per class inside the valid region. */
        public final int[] histogram;
        public final long preprocessNanos;
        public final long inferenceNanos;
        public final long postprocessNanos;

        Result(int imageWidth, int imageHeight, Letterbox letterbox, int[] classMap, int mapWidth, int mapHeight,
               int[] maskArgb, int[] histogram, long preprocessNanos, long inferenceNanos, long postprocessNanos) {
            this.imageWidth = imageWidth;
            this.imageHeight = imageHeight;
            this.letterbox = letterbox;
            this.classMap = classMap;
            this.mapWidth = mapWidth;
            this.mapHeight = mapHeight;
            this.maskArgb = maskArgb;
            this.histogram = histogram;
            this.preprocessNanos = preprocessNanos;
            this.inferenceNanos = inferenceNanos;
            this.postprocessNanos = postprocessNanos;
        }

        public double inferenceMs() {
            return inferenceNanos / 1e6;
        }

        public double totalMs() {
            return (preprocessNanos + inferenceNanos + postprocessNanos) / 1e6;
        }

        /** The class map at the upright image's size (inverse letterbox). */
        public int[] imageClassMap() {
            return MaskRenderer.classMapToImage(classMap, mapWidth, letterbox);
        }
    }

    private final ModelMetadata meta;
    private final Preprocessor preprocessor;
    private final ByteBuffer input;
    private final ByteBuffer output;
    private final int[] colorTable;

    /** {@code maskAlpha}: opacity 0..255 of the live mask. */
    public SegmentationPipeline(ModelMetadata meta, int maskAlpha) {
        this.meta = meta;
        this.preprocessor = new Preprocessor(meta);
        this.input = ByteBuffer.allocateDirect(meta.input.numBytes()).order(ByteOrder.nativeOrder());
        this.output = ByteBuffer.allocateDirect(meta.output.numBytes()).order(ByteOrder.nativeOrder());
        this.colorTable = MaskRenderer.colorTable(meta.colors(), maskAlpha);
    }

    public ModelMetadata metadata() {
        return meta;
    }

    /**
     * Segments one frame of packed ARGB pixels ({@code width x height} as delivered, before
     * rotation); {@code rotationDegrees} is the clockwise rotation that makes it upright.
     */
    public Result run(InferenceEngine engine, int[] argb, int width, int height, int rotationDegrees)
            throws Exception {
        long t0 = System.nanoTime();
        int[] upright = rotationDegrees % 360 == 0 ? argb : ImageOps.rotate(argb, width, height, rotationDegrees);
        int w = ImageOps.rotatedWidth(width, height, rotationDegrees);
        int h = ImageOps.rotatedHeight(width, height, rotationDegrees);
        Letterbox lb = preprocessor.preprocess(upright, w, h, input);
        output.rewind();
        long t1 = System.nanoTime();
        engine.run(input, output);
        long t2 = System.nanoTime();
        output.rewind();
        int mapH = meta.output.dim(1);
        int mapW = meta.output.dim(2);
        int[] classMap = Postprocessor.classMap(output, meta.output, null);
        int[] mask = MaskRenderer.validRegionMask(classMap, mapW, lb, colorTable, null);
        int[] hist = MaskRenderer.histogram(classMap, mapW, lb, meta.numClasses());
        long t3 = System.nanoTime();
        return new Result(w, h, lb, classMap, mapW, mapH, mask, hist, t1 - t0, t2 - t1, t3 - t2);
    }
}

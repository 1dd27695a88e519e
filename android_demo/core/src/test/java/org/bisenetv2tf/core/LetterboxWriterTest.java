package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.Test;

/**
 * The fused rotate + letterbox + normalize equals the reference path it replaces
 * ({@link ImageOps#rotate}, then {@link PilResize#resize} and {@link Preprocessor#writeTensor}),
 * which the golden tests tie to Python, byte for byte, for every rotation, both Pillow pass
 * orders, down- and upscaling, one axis or none resized, and 8-bit and float tensors.
 */
public class LetterboxWriterTest {
    static ModelMetadata model(int h, int w, String dtype) {
        String quant = dtype.equals("float32") ? "null"
                : dtype.equals("int8") ? "{\"scale\": 0.0187, \"zero_point\": -5}"
                : "{\"scale\": 0.019302479922771454, \"zero_point\": 89}";
        return ModelMetadata.parse("{\"format\": \"bisenetv2-tf/metadata\", \"version\": 1,"
                + "\"input\": {\"shape\": [1, " + h + ", " + w + ", 3], \"dtype\": \"" + dtype + "\", "
                + "\"quantization\": " + quant + "},"
                + "\"output\": {\"shape\": [1, " + h + ", " + w + ", 3], \"dtype\": \"float32\", "
                + "\"quantization\": null, \"kind\": \"logits\"},"
                + "\"normalization\": {\"mean\": [0.3257, 0.369, 0.3223], \"std\": [0.2112, 0.2148, 0.2115]},"
                + "\"resize\": \"letterbox\", \"labels\": [\"a\", \"b\", \"c\"],"
                + "\"colors\": [[0, 0, 0], [255, 0, 0], [0, 0, 255]]}");
    }

    static int[] image(int w, int h, long seed) {
        Random r = new Random(seed);
        int[] px = new int[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = r.nextInt(); // alpha is garbage on purpose: it must be ignored
        }
        return px;
    }

    static ByteBuffer reference(Preprocessor pre, ModelMetadata meta, int[] argb, int w, int h, int rot,
                                PilResize.Order order, ByteOrder byteOrder) {
        int[] upright = ImageOps.rotate(argb, w, h, rot);
        int uw = ImageOps.rotatedWidth(w, h, rot);
        int uh = ImageOps.rotatedHeight(w, h, rot);
        Letterbox lb = pre.geometry(uw, uh);
        int[] resized = lb.resizes()
                ? PilResize.resize(upright, uw, uh, lb.resizedWidth, lb.resizedHeight, order) : upright;
        ByteBuffer out = ByteBuffer.allocate(meta.input.numBytes()).order(byteOrder);
        pre.writeTensor(resized, lb, out);
        return out;
    }

    static void assertSameBytes(String what, ByteBuffer expected, ByteBuffer actual) {
        for (int i = 0; i < expected.capacity(); i++) {
            if (expected.get(i) != actual.get(i)) {
                fail(what + ": byte " + i + " differs: reference " + expected.get(i) + ", fused " + actual.get(i));
            }
        }
    }

    /** {frame w, frame h, model h, model w}: sizes that take every branch of the resize. */
    static final int[][] CASES = {
        {640, 480, 384, 480},   // the camera: 90/270 -> 480x640 into 288x384; 0/180 -> 480x360
        {200, 150, 128, 160},   // downscale both
        {31, 17, 64, 48},       // upscale both
        {160, 128, 128, 160},   // 0/180: no resize at all; 90/270: both axes
        {160, 100, 128, 160},   // 0/180: width kept, height 100 -> 100 (no resize), padded below
        {100, 420, 384, 91},    // Pillow 13 vertical-first (height shrinks much more than width)
        {7, 300, 48, 40},       // very tall
        {100, 1, 8, 60},        // 0/180: only the width is resampled (1 row stays 1 row)
        {1, 100, 60, 8},        // 0/180: only the height is resampled
        {1, 1, 8, 8},
    };

    @Test
    public void equalsTheReferenceForEveryRotationSizeAndType() {
        for (String dtype : new String[] {"uint8", "int8", "float32"}) {
            for (int[] c : CASES) {
                ModelMetadata meta = model(c[2], c[3], dtype);
                Preprocessor pre = new Preprocessor(meta);
                for (PilResize.Order order : PilResize.Order.values()) {
                    LetterboxWriter writer = new LetterboxWriter(pre, order);
                    ByteBuffer out = ByteBuffer.allocateDirect(meta.input.numBytes()).order(ByteOrder.nativeOrder());
                    for (int rot : new int[] {0, 90, 180, 270, -90, 450}) {
                        int[] img = image(c[0], c[1], 31L * rot + c[0]);
                        String what = dtype + " " + c[0] + "x" + c[1] + " rot " + rot + " into " + c[2] + "x" + c[3]
                                + " " + order;
                        // stale content must be overwritten everywhere
                        for (int i = 0; i < out.capacity(); i++) {
                            out.put(i, (byte) 0x5A);
                        }
                        Letterbox lb = writer.write(img, c[0], c[1], rot, out);
                        assertEquals(what, 0, out.position());
                        assertSameBytes(what, reference(pre, meta, img, c[0], c[1], rot, order, out.order()), out);
                        assertEquals(ImageOps.rotatedWidth(c[0], c[1], rot), lb.imageWidth);
                    }
                }
            }
        }
    }

    @Test
    public void pillow13OrderIsPreprocessorsAndTheDefault() {
        ModelMetadata meta = model(384, 91, "uint8");
        Preprocessor pre = new Preprocessor(meta);
        int[] img = image(100, 420, 5);
        ByteBuffer expected = ByteBuffer.allocate(meta.input.numBytes());
        pre.preprocess(img, 100, 420, expected);
        ByteBuffer out = ByteBuffer.allocate(meta.input.numBytes());
        new LetterboxWriter(pre).write(img, 100, 420, 0, out);
        assertSameBytes("vertical-first", expected, out);
    }

    @Test
    public void geometryIsKeptAcrossFramesAndRecomputedWhenItChanges() {
        ModelMetadata meta = model(384, 480, "uint8");
        Preprocessor pre = new Preprocessor(meta);
        LetterboxWriter writer = new LetterboxWriter(pre);
        ByteBuffer out = ByteBuffer.allocateDirect(meta.input.numBytes());
        int[] a = image(640, 480, 1);
        Letterbox first = writer.write(a, 640, 480, 90, out);
        assertSame("same geometry: same letterbox object", first, writer.write(image(640, 480, 2), 640, 480, 90, out));
        assertEquals(288, first.resizedWidth);
        assertEquals(384, first.resizedHeight);
        Letterbox landscape = writer.write(a, 640, 480, 0, out);
        assertEquals(480, landscape.resizedWidth);
        assertEquals(360, landscape.resizedHeight);
        assertSameBytes("after a change", reference(pre, meta, a, 640, 480, 0, PilResize.Order.PILLOW_13,
                out.order()), out);
        writer.write(a, 640, 480, 270, out);
        assertSameBytes("and back", reference(pre, meta, a, 640, 480, 270, PilResize.Order.PILLOW_13, out.order()),
                out);
    }

    @Test
    public void floatTensorsFollowTheBufferByteOrderAndSeveralBuffers() {
        ModelMetadata meta = model(48, 64, "float32");
        Preprocessor pre = new Preprocessor(meta);
        LetterboxWriter writer = new LetterboxWriter(pre);
        int[] img = image(50, 30, 3);
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            ByteBuffer[] slots = new ByteBuffer[6]; // more buffers than the writer keeps views of
            for (int i = 0; i < slots.length; i++) {
                slots[i] = ByteBuffer.allocateDirect(meta.input.numBytes()).order(order);
            }
            for (int round = 0; round < 2; round++) {
                for (ByteBuffer b : slots) {
                    writer.write(img, 50, 30, 90, b);
                    assertSameBytes(order.toString(), reference(pre, meta, img, 50, 30, 90,
                            PilResize.Order.PILLOW_13, order), b);
                }
            }
        }
    }

    @Test
    public void allocatesNothingPerFrameOnceWarm() {
        ModelMetadata meta = model(384, 480, "uint8");
        LetterboxWriter writer = new LetterboxWriter(new Preprocessor(meta));
        final ByteBuffer out = ByteBuffer.allocateDirect(meta.input.numBytes());
        final int[] img = image(640, 480, 9);
        Allocation.assertNoneAfterWarmUp("LetterboxWriter.write", new Runnable() {
            @Override
            public void run() {
                writer.write(img, 640, 480, 90, out);
            }
        });
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsOddRotations() {
        ModelMetadata meta = model(8, 8, "uint8");
        new LetterboxWriter(new Preprocessor(meta)).write(new int[16], 4, 4, 45, ByteBuffer.allocate(8 * 8 * 3));
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsASmallBuffer() {
        ModelMetadata meta = model(8, 8, "uint8");
        new LetterboxWriter(new Preprocessor(meta)).write(new int[16], 4, 4, 0, ByteBuffer.allocate(8 * 8 * 3 - 1));
    }
}

package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

/**
 * The one-pass argmax + mask + histogram gives what {@link Postprocessor#classMap},
 * {@link MaskRenderer#validRegionMask} and {@link MaskRenderer#histogram} give, for 8-bit and
 * float logits (ties, NaN), argmax heads, the specialised class counts and any other.
 */
public class FramePostprocessorTest {
    static ModelMetadata.TensorInfo output(int h, int w, int k, String dtype, String kind) {
        String shape = kind.equals("argmax") ? "[1, " + h + ", " + w + "]" : "[1, " + h + ", " + w + ", " + k + "]";
        String quant = dtype.equals("uint8") || dtype.equals("int8") ? "{\"scale\": 0.1, \"zero_point\": 3}" : "null";
        StringBuilder labels = new StringBuilder();
        StringBuilder colors = new StringBuilder();
        for (int c = 0; c < k; c++) {
            labels.append(c > 0 ? ", " : "").append("\"c").append(c).append('"');
            colors.append(c > 0 ? ", " : "").append("[").append(c * 20 % 256).append(", 1, 2]");
        }
        return ModelMetadata.parse("{\"format\": \"bisenetv2-tf/metadata\", \"version\": 1,"
                + "\"input\": {\"shape\": [1, " + h + ", " + w + ", 3], \"dtype\": \"float32\", \"quantization\": null},"
                + "\"output\": {\"shape\": " + shape + ", \"dtype\": \"" + dtype + "\", \"quantization\": " + quant
                + ", \"kind\": \"" + kind + "\"},"
                + "\"normalization\": {\"mean\": [0.5, 0.5, 0.5], \"std\": [0.25, 0.25, 0.25]},"
                + "\"resize\": \"letterbox\", \"labels\": [" + labels + "], \"colors\": [" + colors + "]}").output;
    }

    static ByteBuffer fill(ModelMetadata.TensorInfo info, long seed, ByteOrder order, int k) {
        Random r = new Random(seed);
        ByteBuffer b = ByteBuffer.allocateDirect(info.numBytes()).order(order);
        int n = info.numElements();
        for (int i = 0; i < n; i++) {
            switch (info.dtype) {
                case FLOAT32: {
                    int pick = r.nextInt(40);
                    // few distinct values: ties; now and then a NaN
                    float v = pick == 0 ? Float.NaN : (pick % 6) - 2.5f;
                    b.putFloat(4 * i, v);
                    break;
                }
                case INT32:
                    b.putInt(4 * i, r.nextInt(k + 2) - 1);
                    break;
                case INT64:
                    b.putLong(8 * i, r.nextInt(k + 2) - 1);
                    break;
                default:
                    b.put(i, (byte) (r.nextInt(5) * 60 - 120)); // few values: ties
            }
        }
        return b;
    }

    static void check(ModelMetadata.TensorInfo info, int k, ByteOrder order, Letterbox lb, boolean allRows) {
        ByteBuffer out = fill(info, 7L * k + info.dtype.ordinal(), order, k);
        int mapW = info.dim(2);
        int mapH = info.dim(1);
        int[] colors = new int[k];
        for (int c = 0; c < k; c++) {
            colors[c] = 0x80000000 | c * 7919;
        }
        int[] expectedMap = Postprocessor.classMap(out, info, null);
        int[] expectedMask = MaskRenderer.validRegionMask(expectedMap, mapW, lb, colors, null);
        int[] expectedHist = MaskRenderer.histogram(expectedMap, mapW, lb, k);
        int[] map = new int[mapW * mapH];
        Arrays.fill(map, -7);
        int[] mask = new int[mapW * mapH];
        int[] hist = new int[k];
        Arrays.fill(hist, 99);
        FramePostprocessor post = new FramePostprocessor(info);
        post.process(out, lb, colors, map, mask, hist, allRows);
        String what = info.kind + " " + info.dtype + " k=" + k + " " + order + " " + lb + " allRows=" + allRows;
        for (int y = 0; y < mapH; y++) {
            for (int x = 0; x < mapW; x++) {
                boolean valid = y < lb.resizedHeight && x < lb.resizedWidth;
                int expected = valid || allRows ? expectedMap[y * mapW + x] : -7;
                assertEquals(what + " at " + y + "," + x, expected, map[y * mapW + x]);
            }
        }
        assertArrayEquals(what, expectedMask, Arrays.copyOf(mask, lb.resizedWidth * lb.resizedHeight));
        assertArrayEquals(what, expectedHist, hist);
        assertEquals(0, out.position());
    }

    @Test
    public void equalsTheReferenceForEveryOutputKind() {
        int h = 12;
        int w = 20;
        // valid region 12x10 (padding right), 6x20 (padding below), the whole map
        Letterbox[] regions = {Letterbox.of(24, 20, h, w), Letterbox.of(6, 20, h, w), Letterbox.of(12, 20, h, w)};
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            for (Letterbox lb : regions) {
                for (boolean allRows : new boolean[] {false, true}) {
                    for (int k : new int[] {11, 19, 2, 3, 16, 17, 40}) {
                        for (String t : new String[] {"uint8", "int8", "float32"}) {
                            check(output(h, w, k, t, "logits"), k, order, lb, allRows);
                        }
                    }
                    for (String t : new String[] {"uint8", "int8", "int32", "int64"}) {
                        check(output(h, w, 5, t, "argmax"), 5, order, lb, allRows);
                    }
                }
            }
        }
    }

    @Test
    public void firstMaximumWinsAndNanIsTheMaximum() {
        ModelMetadata.TensorInfo u8 = output(1, 3, 11, "uint8", "logits");
        ByteBuffer b = ByteBuffer.allocateDirect(33);
        byte[] logits = new byte[33];
        logits[4] = (byte) 200; // pixel 0: classes 4 and 9 tie at 200 -> 4
        logits[9] = (byte) 200;
        logits[11 + 10] = (byte) 255; // pixel 1: the last class
        // pixel 2: all zero -> 0
        b.put(logits).rewind();
        int[] map = new int[3];
        new FramePostprocessor(u8).process(b, Letterbox.of(1, 3, 1, 3), new int[11], map, new int[3], new int[11],
                false);
        assertArrayEquals(new int[] {4, 10, 0}, map);

        ModelMetadata.TensorInfo f32 = output(1, 2, 3, "float32", "logits");
        ByteBuffer f = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder());
        f.putFloat(0, 1f).putFloat(4, Float.NaN).putFloat(8, 5f); // NaN wins
        f.putFloat(12, Float.NaN).putFloat(16, Float.NaN).putFloat(20, 9f); // the first NaN
        new FramePostprocessor(f32).process(f, Letterbox.of(1, 2, 1, 2), new int[3], map, new int[2], new int[3],
                false);
        assertEquals(1, map[0]);
        assertEquals(0, map[1]);
    }

    @Test
    public void allocatesNothingPerFrameOnceWarm() {
        final ModelMetadata.TensorInfo info = output(384, 480, 11, "uint8", "logits");
        final ByteBuffer out = fill(info, 1, ByteOrder.nativeOrder(), 11);
        final FramePostprocessor post = new FramePostprocessor(info);
        final Letterbox lb = Letterbox.of(640, 480, 384, 480);
        final int[] map = new int[384 * 480];
        final int[] mask = new int[384 * 480];
        final int[] hist = new int[11];
        final int[] colors = new int[11];
        Allocation.assertNoneAfterWarmUp("FramePostprocessor.process", new Runnable() {
            @Override
            public void run() {
                post.process(out, lb, colors, map, mask, hist, false);
            }
        });
    }
}

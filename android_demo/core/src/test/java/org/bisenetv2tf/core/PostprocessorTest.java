package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.Test;

public class PostprocessorTest {
    private static ModelMetadata.TensorInfo output(String dtype, String kind, int k) {
        String quant = dtype.equals("uint8") || dtype.equals("int8") ? "{\"scale\": 0.5, \"zero_point\": 3}" : "null";
        String shape = kind.equals("argmax") ? "[1, 1, 4]" : "[1, 1, 4, " + k + "]";
        String inQuant = "{\"scale\": 0.02, \"zero_point\": 0}";
        StringBuilder labels = new StringBuilder();
        StringBuilder colors = new StringBuilder();
        for (int i = 0; i < k; i++) {
            labels.append(i == 0 ? "" : ",").append("\"c").append(i).append('"');
            colors.append(i == 0 ? "" : ",").append("[0, 0, ").append(i).append(']');
        }
        return ModelMetadata.parse("{\"format\": \"bisenetv2-tf/metadata\", \"version\": 1,"
                + "\"input\": {\"shape\": [1, 1, 4, 3], \"dtype\": \"uint8\", \"quantization\": " + inQuant + "},"
                + "\"output\": {\"shape\": " + shape + ", \"dtype\": \"" + dtype + "\", \"quantization\": " + quant
                + ", \"kind\": \"" + kind + "\"},"
                + "\"normalization\": {\"mean\": [0, 0, 0], \"std\": [1, 1, 1]}, \"resize\": \"letterbox\","
                + "\"labels\": [" + labels + "], \"colors\": [" + colors + "]}").output;
    }

    @Test
    public void uint8LogitsCompareUnsigned() {
        // pixel 0: 200 beats 100 (as signed bytes 200 would be -56); pixel 1: tie -> first; pixel 3: last wins
        byte[] raw = {(byte) 100, (byte) 200, 5, 7, 7, 1, 0, 0, 0, 1, 2, (byte) 255};
        int[] ids = Postprocessor.classMap(ByteBuffer.wrap(raw), output("uint8", "logits", 3), null);
        assertArrayEquals(new int[] {1, 0, 0, 2}, ids);
    }

    @Test
    public void int8LogitsCompareSigned() {
        byte[] raw = {(byte) -100, (byte) -56, 5, 7, 7, 1, -128, -128, -127, 1, 2, (byte) 255};
        int[] ids = Postprocessor.classMap(ByteBuffer.wrap(raw), output("int8", "logits", 3), null);
        assertArrayEquals(new int[] {2, 0, 2, 1}, ids);
    }

    @Test
    public void floatLogitsFollowNumpyArgmax() {
        ByteBuffer buf = ByteBuffer.allocateDirect(4 * 4 * 3).order(ByteOrder.nativeOrder());
        float[] v = {-1f, -0.5f, -3f, 2f, 2f, 1f, 0f, Float.NaN, 5f, Float.NaN, 9f, Float.NaN};
        for (float f : v) {
            buf.putFloat(f);
        }
        int[] reuse = new int[10];
        int[] ids = Postprocessor.classMap(buf, output("float32", "probs", 3), reuse);
        assertSame(reuse, ids);
        // tie -> first; NaN -> the first NaN, as numpy.argmax does
        assertArrayEquals(new int[] {1, 0, 1, 0}, java.util.Arrays.copyOf(ids, 4));
    }

    @Test
    public void argmaxHeadsAreReadAsIds() {
        ByteBuffer i32 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        i32.putInt(2).putInt(0).putInt(1).putInt(2);
        assertArrayEquals(new int[] {2, 0, 1, 2}, Postprocessor.classMap(i32, output("int32", "argmax", 3), null));
        ByteBuffer i64 = ByteBuffer.allocate(32).order(ByteOrder.BIG_ENDIAN);
        i64.putLong(1).putLong(1).putLong(0).putLong(2);
        assertArrayEquals(new int[] {1, 1, 0, 2}, Postprocessor.classMap(i64, output("int64", "argmax", 3), null));
        byte[] u8 = {2, 1, 0, 0};
        assertArrayEquals(new int[] {2, 1, 0, 0}, Postprocessor.classMap(ByteBuffer.wrap(u8), output("uint8", "argmax", 3), null));
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsShortBuffers() {
        Postprocessor.classMap(ByteBuffer.allocate(11), output("uint8", "logits", 3), null);
    }

    @Test
    public void dequantizeUsesScaleAndZeroPoint() {
        ModelMetadata.Quantization q = new ModelMetadata.Quantization(0.5f, 3);
        assertEquals(-1.5f, Postprocessor.dequantize(0, q), 0f);
        assertEquals(126f, Postprocessor.dequantize(255, q), 0f);
    }
}

package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.Test;

public class PreprocessorTest {
    private static final float[] MEAN = {0.3257f, 0.369f, 0.3223f};
    private static final float[] STD = {0.2112f, 0.2148f, 0.2115f};
    private static final int[] P = {0, 1, 127, 128, 254, 255};

    /** numpy: (p / float32(255) - mean[c]) / std[c] in float32, per channel, for P. */
    private static final float[][] NORMALIZED = {
        {-0x1.8ac9b4p+0f, -0x1.8608d4p+0f, 0x1.a1cacp-1f, 0x1.ab4c86p-1f, 0x1.964a3cp+1f, 0x1.98aaaap+1f},
        {-0x1.b7c6cap+0f, -0x1.b31a5p+0f, 0x1.33945cp-1f, 0x1.3ced56p-1f, 0x1.75ad92p+1f, 0x1.7803d2p+1f},
        {-0x1.861ccep+0f, -0x1.815da8p+0f, 0x1.a96e2p-1f, 0x1.b2ec72p-1f, 0x1.97c576p+1f, 0x1.9a250ap+1f},
    };
    /** numpy: clip(floor(x / scale + 0.5) + zp), scale 0.018729716539382935, zp 84, uint8. */
    private static final int[][] Q_UINT8 = {
        {2, 3, 128, 129, 253, 254}, {0, 0, 116, 117, 240, 241}, {3, 4, 128, 129, 254, 255}};
    /** the same with zp -44, int8. */
    private static final int[][] Q_INT8 = {
        {-126, -125, 0, 1, 125, 126}, {-128, -128, -12, -11, 112, 113}, {-125, -124, 0, 1, 126, 127}};

    @Test
    public void normalizeIsBitExactWithNumpy() {
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < P.length; i++) {
                float x = Preprocessor.normalize(P[i], MEAN[c], STD[c]);
                assertEquals("c=" + c + " p=" + P[i], Float.floatToRawIntBits(NORMALIZED[c][i]), Float.floatToRawIntBits(x));
            }
        }
    }

    @Test
    public void quantizeMatchesNumpyAndClamps() {
        float scale = 0.018729716539382935f;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < P.length; i++) {
                assertEquals(Q_UINT8[c][i], Preprocessor.quantize(NORMALIZED[c][i], scale, 84, 0, 255));
                assertEquals(Q_INT8[c][i], Preprocessor.quantize(NORMALIZED[c][i], scale, -44, -128, 127));
            }
        }
    }

    @Test
    public void quantizeRoundsHalfUp() {
        assertEquals(3, Preprocessor.quantize(1.25f, 0.5f, 0, -128, 127));   // 2.5 -> 3
        assertEquals(-2, Preprocessor.quantize(-1.25f, 0.5f, 0, -128, 127)); // -2.5 -> -2 (not away from zero)
        assertEquals(1, Preprocessor.quantize(0.74f, 0.5f, 0, -128, 127));   // 1.48 -> 1
        assertEquals(127, Preprocessor.quantize(1000f, 0.5f, 0, -128, 127)); // clamped
        assertEquals(0, Preprocessor.quantize(-1000f, 0.5f, 3, 0, 255));
    }

    static ModelMetadata meta(String dtype, String quant) {
        String outQuant = "{\"scale\": 0.1, \"zero_point\": 0}";
        String out = "{\"name\": \"o\", \"shape\": [1, 4, 6, 2], \"dtype\": \"uint8\", \"quantization\": " + outQuant
                + ", \"kind\": \"logits\"}";
        return ModelMetadata.parse("{\"format\": \"bisenetv2-tf/metadata\", \"version\": 1,"
                + "\"input\": {\"name\": \"i\", \"shape\": [1, 4, 6, 3], \"dtype\": \"" + dtype + "\", \"quantization\": "
                + quant + "}, \"output\": " + out + ","
                + "\"normalization\": {\"mean\": [0.3257, 0.369, 0.3223], \"std\": [0.2112, 0.2148, 0.2115]},"
                + "\"resize\": \"letterbox\", \"labels\": [\"a\", \"b\"], \"colors\": [[1, 2, 3], [4, 5, 6]]}");
    }

    @Test
    public void uint8TensorIsLetterboxedTopLeft() {
        Preprocessor pre = new Preprocessor(meta("uint8", "{\"scale\": 0.018729716539382935, \"zero_point\": 84}"));
        // a 2x4 (h x w) image fits a 4x6 input at r = min(2, 1.5) = 1.5 -> 3x6
        int[] img = new int[8];
        for (int i = 0; i < 8; i++) {
            img[i] = 0xFF000000 | (P[i % 6] << 16) | (P[(i + 1) % 6] << 8) | P[(i + 2) % 6];
        }
        ByteBuffer buf = ByteBuffer.allocate(pre.tensorBytes());
        Letterbox lb = pre.preprocess(img, 4, 2, buf);
        assertEquals(3, lb.resizedHeight);
        assertEquals(6, lb.resizedWidth);
        int[] resized = PilResize.resize(img, 4, 2, 6, 3);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                for (int c = 0; c < 3; c++) {
                    int got = buf.get((y * 6 + x) * 3 + c) & 0xFF;
                    int expected;
                    if (y < 3) {
                        int p = (resized[y * 6 + x] >> (16 - 8 * c)) & 0xFF;
                        expected = Preprocessor.quantize(Preprocessor.normalize(p, MEAN[c], STD[c]),
                                0.018729716539382935f, 84, 0, 255);
                    } else {
                        expected = 84; // padding: normalized 0.0 -> the zero point
                    }
                    assertEquals("y=" + y + " x=" + x + " c=" + c, expected, got);
                }
            }
        }
        assertEquals(0, buf.position());
    }

    @Test
    public void int8PaddingIsClampedZeroPoint() {
        Preprocessor pre = new Preprocessor(meta("int8", "{\"scale\": 0.02, \"zero_point\": -200}"));
        ByteBuffer buf = ByteBuffer.allocate(pre.tensorBytes());
        int[] img = new int[4 * 3];
        java.util.Arrays.fill(img, 0xFFFFFFFF);
        pre.preprocess(img, 3, 4, buf); // 4x3 fills the height, columns 3..5 are padding
        assertEquals(-128, buf.get(3 * 3)); // clamp(-200) = -128
        // white: x = (1 - 0.3257) / 0.2112 = 3.19..., /0.02 -> 159.6, +0.5 floor 160, -200 -> -40
        assertEquals(-40, buf.get(0));
    }

    @Test
    public void floatTensorUsesBufferByteOrderAndZeroPadding() {
        Preprocessor pre = new Preprocessor(meta("float32", "null"));
        int[] img = {0xFF000180, 0xFFFEFF7F}; // 1x2 image -> r = min(4, 3) = 3 -> 3x6
        ByteBuffer little = ByteBuffer.allocateDirect(pre.tensorBytes()).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer big = ByteBuffer.allocate(pre.tensorBytes()).order(ByteOrder.BIG_ENDIAN);
        pre.preprocess(img, 2, 1, little);
        pre.preprocess(img, 2, 1, big);
        int[] resized = PilResize.resize(img, 2, 1, 6, 3);
        for (int i = 0; i < 4 * 6 * 3; i++) {
            int pixel = i / 3;
            int y = pixel / 6;
            int x = pixel % 6;
            int c = i % 3;
            float expected = y < 3
                    ? Preprocessor.normalize((resized[y * 6 + x] >> (16 - 8 * c)) & 0xFF, MEAN[c], STD[c]) : 0.0f;
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(little.getFloat(4 * i)));
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(big.getFloat(4 * i)));
        }
        assertEquals(Float.floatToRawIntBits(NORMALIZED[0][0]), Float.floatToRawIntBits(little.getFloat(0)));
    }

    @Test
    public void rejectsSmallBuffersAndMismatchedInputs() {
        Preprocessor pre = new Preprocessor(meta("uint8", "{\"scale\": 0.02, \"zero_point\": 0}"));
        try {
            pre.preprocess(new int[4], 2, 2, ByteBuffer.allocate(10));
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("the tensor needs 72"));
        }
        try {
            pre.writeTensor(new int[4], Letterbox.of(2, 2, 8, 8), ByteBuffer.allocate(72));
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("the model takes 4x6"));
        }
        try {
            pre.preprocess(new int[3], 2, 2, ByteBuffer.allocate(72));
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("need 4"));
        }
    }

    @Test
    public void exactFitNeedsNoResize() {
        Preprocessor pre = new Preprocessor(meta("uint8", "{\"scale\": 0.02, \"zero_point\": 10}"));
        int[] img = new int[24];
        for (int i = 0; i < 24; i++) {
            img[i] = 0xFF000000 | (i * 10) << 16 | (255 - i * 10) << 8 | i;
        }
        ByteBuffer buf = ByteBuffer.allocate(72);
        Letterbox lb = pre.preprocess(img, 6, 4, buf);
        assertEquals(false, lb.resizes());
        byte[] expected = new byte[72];
        for (int i = 0; i < 24; i++) {
            for (int c = 0; c < 3; c++) {
                int p = (img[i] >> (16 - 8 * c)) & 0xFF;
                expected[3 * i + c] = (byte) Preprocessor.quantize(Preprocessor.normalize(p, MEAN[c], STD[c]), 0.02f, 10, 0, 255);
            }
        }
        byte[] got = new byte[72];
        buf.get(got);
        assertArrayEquals(expected, got);
    }
}

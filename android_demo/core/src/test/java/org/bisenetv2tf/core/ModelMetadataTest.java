package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import org.junit.Test;

public class ModelMetadataTest {
    /** What tflite/convert.py writes for an INT8 CamVid-style model (shortened label list). */
    static String sample(String inputDtype, String inputQuant, String outputJson, String extra) {
        return "{\n \"format\": \"bisenetv2-tf/metadata\", \"version\": 1, \"model\": \"bisenetv2\",\n"
                + " \"precision\": \"int8_ptq\",\n"
                + " \"input\": {\"name\": \"serving_default_image:0\", \"shape\": [1, 64, 96, 3], \"dtype\": \""
                + inputDtype + "\", \"quantization\": " + inputQuant + ", \"layout\": \"NHWC\"},\n"
                + " \"output\": " + outputJson + ",\n"
                + " \"normalization\": {\"formula\": \"(rgb_uint8 / 255 - mean) / std\", "
                + "\"mean\": [0.3257, 0.369, 0.3223], \"std\": [0.2112, 0.2148, 0.2115]},\n"
                + " \"resize\": \"letterbox\",\n"
                + " \"labels\": [\"Sky\", \"Building\", \"Road\"],\n"
                + " \"colors\": [[128, 128, 128], [128, 0, 0], [128, 64, 128]],\n"
                + " \"num_classes\": 3, \"ignore_index\": 11" + extra + ",\n"
                + " \"verification\": {\"argmax_agreement_pct\": 99.5, \"max_abs_error\": NaN}\n}";
    }

    static final String LOGITS_U8 = "{\"name\": \"out\", \"shape\": [1, 64, 96, 3], \"dtype\": \"uint8\", "
            + "\"quantization\": {\"scale\": 0.125, \"zero_point\": 100}, \"kind\": \"logits\"}";
    static final String Q_IN = "{\"scale\": 0.018729716539382935, \"zero_point\": 84}";

    static ModelMetadata int8Model() {
        return ModelMetadata.parse(sample("uint8", Q_IN, LOGITS_U8, ""));
    }

    @Test
    public void readsEveryField() {
        ModelMetadata m = int8Model();
        assertEquals("bisenetv2", m.model);
        assertEquals("int8_ptq", m.precision);
        assertEquals(64, m.inputHeight());
        assertEquals(96, m.inputWidth());
        assertEquals(DataType.UINT8, m.input.dtype);
        assertEquals("serving_default_image:0", m.input.name);
        assertEquals(0.018729716539382935f, m.input.quantization.scale, 0f);
        assertEquals(84, m.input.quantization.zeroPoint);
        assertEquals(64 * 96 * 3, m.input.numBytes());
        assertEquals(DataType.UINT8, m.output.dtype);
        assertEquals("logits", m.output.kind);
        assertFalse(m.outputIsClassMap());
        assertEquals(100, m.output.quantization.zeroPoint);
        assertArrayEquals(new int[] {1, 64, 96, 3}, m.output.shape());
        assertEquals(Arrays.asList("Sky", "Building", "Road"), m.labels());
        assertEquals(3, m.numClasses());
        assertArrayEquals(new int[] {0x808080, 0x800000, 0x804080}, m.colors());
        assertEquals(11, m.ignoreIndex);
        assertEquals("letterbox", m.resize);
        // float32 rounding of the decimal values, like np.asarray(mean, np.float32)
        assertArrayEquals(new float[] {0.3257f, 0.369f, 0.3223f}, m.mean(), 0f);
        assertArrayEquals(new float[] {0.2112f, 0.2148f, 0.2115f}, m.std(), 0f);
    }

    @Test
    public void floatModelHasNoQuantization() {
        String out = "{\"name\": \"o\", \"shape\": [1, 64, 96, 3], \"dtype\": \"float32\", \"quantization\": null, "
                + "\"kind\": \"logits\"}";
        ModelMetadata m = ModelMetadata.parse(sample("float32", "null", out, ""));
        assertEquals(DataType.FLOAT32, m.input.dtype);
        assertNull(m.input.quantization);
        assertEquals(64 * 96 * 3 * 4, m.input.numBytes());
    }

    @Test
    public void argmaxHeadIsAClassMap() {
        String out = "{\"name\": \"o\", \"shape\": [1, 64, 96], \"dtype\": \"int64\", \"quantization\": null, "
                + "\"kind\": \"argmax\"}";
        ModelMetadata m = ModelMetadata.parse(sample("int8", "{\"scale\": 0.02, \"zero_point\": -44}", out, ""));
        assertTrue(m.outputIsClassMap());
        assertEquals(DataType.INT64, m.output.dtype);
        assertEquals(64 * 96 * 8, m.output.numBytes());
        assertEquals(DataType.INT8, m.input.dtype);
        assertEquals(-44, m.input.quantization.zeroPoint);
    }

    private static void assertRejected(String json, String fragment) {
        try {
            ModelMetadata.parse(json);
        } catch (ModelMetadata.MetadataException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(fragment));
            assertTrue(e.getMessage().startsWith("model metadata: "));
            return;
        }
        throw new AssertionError("accepted metadata that should fail with: " + fragment);
    }

    @Test
    public void rejectsBadDocuments() {
        String good = sample("uint8", Q_IN, LOGITS_U8, "");
        assertRejected("{\"format\": 1", "not valid JSON");
        assertRejected(good.replace("bisenetv2-tf/metadata", "other"), "'format' is \"other\"");
        assertRejected(good.replace("\"version\": 1", "\"version\": 2"), "unsupported version 2");
        assertRejected(good.replace("[1, 64, 96, 3], \"dtype\": \"uint8\", \"quantization\": {\"scale\": 0.0187",
                "[1, 64, 96, 4], \"dtype\": \"uint8\", \"quantization\": {\"scale\": 0.0187"), "'input.shape'");
        assertRejected(sample("uint8", "null", LOGITS_U8, ""), "'input' is uint8 but has no quantization");
        assertRejected(sample("int32", "null", LOGITS_U8, ""), "'input.dtype' must be uint8, int8 or float32");
        assertRejected(sample("bfloat16", "null", LOGITS_U8, ""), "bfloat16 is not supported");
        assertRejected(good.replace("\"Road\"]", "\"Road\", \"Car\"]"), "'colors' has 3 entries but 'labels' has 4");
        assertRejected(good.replace("[128, 64, 128]", "[128, 64, 300]"), "values must be 0..255");
        assertRejected(good.replace("[128, 64, 128]", "[128, 64]"), "'colors[2]' must be [r, g, b]");
        assertRejected(good.replace("\"num_classes\": 3", "\"num_classes\": 4"), "'num_classes' is 4");
        assertRejected(good.replace("0.2148", "0"), "'normalization.std' values must be positive");
        assertRejected(good.replace("[0.3257, 0.369, 0.3223]", "[0.3257, 0.369]"), "must have 3 values, got 2");
        assertRejected(good.replace("\"letterbox\"", "\"stretch\""), "'resize' must be \"letterbox\"");
        assertRejected(good.replace("\"kind\": \"logits\"", "\"kind\": \"softmax\""), "'output.kind'");
        assertRejected(good.replace("\"scale\": 0.125", "\"scale\": 0"), "scale' must be positive");
        assertRejected(good.replace("[1, 64, 96, 3], \"dtype\": \"uint8\", \"quantization\": {\"scale\": 0.125",
                "[1, 64, 96, 5], \"dtype\": \"uint8\", \"quantization\": {\"scale\": 0.125"),
                "'output.shape' has 5 classes but 'labels' has 3");
        assertRejected(good.replace("[1, 64, 96, 3], \"dtype\": \"uint8\", \"quantization\": {\"scale\": 0.125",
                "[1, 32, 48, 3], \"dtype\": \"uint8\", \"quantization\": {\"scale\": 0.125"),
                "output size 32x48 differs from input size 64x96");
        assertRejected(good.replace("\"labels\": [\"Sky\", \"Building\", \"Road\"],\n", ""), "missing 'labels'");
        assertRejected(good.replace("\"serving_default_image:0\", \"shape\": [1, 64, 96, 3],", "\"serving_default_image:0\","),
                "missing 'input.shape'");
        assertRejected(good.replace("\"version\": 1", "\"version\": 1.5"), "'version' must be an integer");
    }
}

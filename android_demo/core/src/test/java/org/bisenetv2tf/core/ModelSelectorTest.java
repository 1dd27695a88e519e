package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class ModelSelectorTest {
    private static final List<String> SHIPPED = Arrays.asList("bisenetv2_int8_ptq.tflite", "bisenetv2_int8_ptq.json",
            "bisenetv2_int8_qat.tflite", "bisenetv2_int8_qat.json", "bisenetv2_fp16.tflite", "bisenetv2_fp16.json",
            "notes.txt");

    @Test
    public void picksInt8ForCpuAndNnapiAndFp16ForGpu() {
        assertEquals("bisenetv2_int8_qat.tflite", ModelSelector.modelFor(Delegate.CPU, SHIPPED));
        assertEquals("bisenetv2_int8_qat.tflite", ModelSelector.modelFor(Delegate.NNAPI, SHIPPED));
        assertEquals("bisenetv2_fp16.tflite", ModelSelector.modelFor(Delegate.GPU, SHIPPED));
    }

    @Test
    public void fallsBackInPreferenceOrderAndNeedsMetadata() {
        List<String> ptqOnly = Arrays.asList("bisenetv2_int8_ptq.tflite", "bisenetv2_int8_ptq.json",
                "bisenetv2_int8_qat.tflite"); // QAT model without its JSON is not usable
        assertEquals("bisenetv2_int8_ptq.tflite", ModelSelector.modelFor(Delegate.CPU, ptqOnly));
        assertEquals("bisenetv2_int8_ptq.tflite", ModelSelector.modelFor(Delegate.GPU, ptqOnly));
        assertNull(ModelSelector.modelFor(Delegate.CPU, Arrays.asList("x.tflite", "readme.md")));
        assertEquals("bisenetv2_fp16.json", ModelSelector.metadataFor("bisenetv2_fp16.tflite"));
    }

    @Test
    public void nnapiIsDeprecatedFromAndroid15() {
        assertFalse(Delegate.NNAPI.isDeprecatedOn(34));
        assertTrue(Delegate.NNAPI.isDeprecatedOn(35));
        assertFalse(Delegate.GPU.isDeprecatedOn(36));
        assertEquals("NNAPI (deprecated on Android 15+)", Delegate.NNAPI.labelFor(35));
        assertEquals("NNAPI", Delegate.NNAPI.labelFor(30));
    }

    @Test
    public void threadsAreClamped() {
        assertEquals(1, ModelSelector.clampThreads(0, 8));
        assertEquals(8, ModelSelector.clampThreads(12, 8));
        assertEquals(4, ModelSelector.clampThreads(4, 8));
        assertEquals(1, ModelSelector.clampThreads(4, 0));
    }

    @Test(expected = IllegalArgumentException.class)
    public void metadataNameNeedsTflite() {
        ModelSelector.metadataFor("model.bin");
    }
}

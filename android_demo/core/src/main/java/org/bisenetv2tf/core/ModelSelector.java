package org.bisenetv2tf.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * Picks the model file for a delegate from the model files shipped in the app's assets.
 * File names follow the converter: {@code NAME_int8_qat.tflite}, {@code NAME_int8_ptq.tflite},
 * {@code NAME_fp16.tflite}, {@code NAME_fp32.tflite}; each has {@code NAME_*.json} beside it.
 *
 * <p>CPU and NNAPI prefer INT8 (QAT over PTQ); the GPU delegate prefers FP16 (then FP32), as
 * integer models mostly fall back to the CPU there.
 */
public final class ModelSelector {
    static final String[] INT8_PREFERENCE = {"_int8_qat.tflite", "_int8_ptq.tflite", "_fp16.tflite", "_fp32.tflite"};
    static final String[] FLOAT_PREFERENCE = {"_fp16.tflite", "_fp32.tflite", "_int8_qat.tflite", "_int8_ptq.tflite"};

    private ModelSelector() {
    }

    /** The best model for {@code delegate} among {@code files}, or null when none is a model with metadata. */
    public static String modelFor(Delegate delegate, Collection<String> files) {
        String[] order = delegate == Delegate.GPU ? FLOAT_PREFERENCE : INT8_PREFERENCE;
        List<String> sorted = new ArrayList<>(files);
        Collections.sort(sorted); // deterministic when several stems match
        for (String suffix : order) {
            for (String f : sorted) {
                if (f.endsWith(suffix) && files.contains(metadataFor(f))) {
                    return f;
                }
            }
        }
        return null;
    }

    /** {@code X.tflite -> X.json}. */
    public static String metadataFor(String modelFile) {
        if (!modelFile.endsWith(".tflite")) {
            throw new IllegalArgumentException("not a .tflite file: " + modelFile);
        }
        return modelFile.substring(0, modelFile.length() - ".tflite".length()) + ".json";
    }

    /** Thread count clamped to [1, availableProcessors]. */
    public static int clampThreads(int requested, int availableProcessors) {
        return Math.max(1, Math.min(requested, Math.max(1, availableProcessors)));
    }
}

package org.bisenetv2tf.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.ModelMetadata;
import org.tensorflow.lite.Interpreter;
import org.tensorflow.lite.Tensor;

/**
 * Opens a model from the APK's assets in LiteRT's classic {@link Interpreter} on the CPU
 * (XNNPACK, N threads) and checks its tensors against the model's metadata.
 *
 * <p>CPU only: LiteRT 2.x's classic Interpreter (com.google.ai.edge.litert:litert, the only
 * LiteRT artifact on Maven Central) runs no delegates, and neither LiteRT's GPU accelerator nor
 * a 16 KB-aligned GPU delegate is on Maven Central. GPU and NNAPI are refused with a "not in
 * this build" message (the README says what the GPU path needs).
 *
 * <p>No Android class here: the model bytes come from a {@link ModelBuffers} (the APK's
 * assets, memory-mapped, in the app), so the desktop-JVM test runs this very class on LiteRT's
 * x86_64 library (build_apk.sh --check, app/src/desktopTest).
 */
final class LiteRtEngineFactory implements SegmentationController.EngineFactory {
    /** Where the model files come from: a direct buffer holding the whole .tflite file. */
    interface ModelBuffers {
        ByteBuffer map(String modelFile) throws IOException;
    }

    /** The runtime's JNI library, lib/ABI/libLiteRt.so in the APK (from the litert AAR). */
    static final String LIBRARY = "LiteRt";
    static final String NOT_IN_THIS_BUILD =
            "is not in this build: LiteRT from Maven Central runs on the CPU (XNNPACK) only";

    private static boolean libraryLoaded;

    private final ModelBuffers models;

    LiteRtEngineFactory(ModelBuffers models) {
        this.models = models;
    }

    /**
     * Loads libLiteRt.so. The Interpreter's API classes look for libtensorflowlite_jni only when
     * they come from Maven Central's org.tensorflow:tensorflow-lite-api (build_apk.sh's stand-in
     * for litert-api), and then find LiteRT's native methods in the library loaded here.
     */
    static synchronized void loadLibrary() {
        if (!libraryLoaded) {
            System.loadLibrary(LIBRARY);
            libraryLoaded = true;
        }
    }

    @Override
    public SegmentationController.Engine open(String modelFile, ModelMetadata meta, Delegate delegate, int threads)
            throws Exception {
        if (delegate != Delegate.CPU) {
            throw new UnsupportedOperationException(delegate.label + " " + NOT_IN_THIS_BUILD);
        }
        loadLibrary();
        Interpreter.Options options = new Interpreter.Options();
        options.setNumThreads(threads);
        options.setUseXNNPACK(true);
        Interpreter interpreter = new Interpreter(models.map(modelFile), options);
        try {
            check(interpreter.getInputTensor(0), meta.input, "input");
            check(interpreter.getOutputTensor(0), meta.output, "output");
        } catch (RuntimeException e) {
            interpreter.close();
            throw e;
        }
        return new LiteRtEngine(interpreter);
    }

    private static void check(Tensor tensor, ModelMetadata.TensorInfo expected, String what) {
        if (!Arrays.equals(tensor.shape(), expected.shape()) || tensor.numBytes() != expected.numBytes()) {
            throw new IllegalStateException("the model's " + what + " tensor " + Arrays.toString(tensor.shape())
                    + " does not match its metadata " + Arrays.toString(expected.shape()));
        }
    }

    private static final class LiteRtEngine implements SegmentationController.Engine {
        private final Interpreter interpreter;

        LiteRtEngine(Interpreter interpreter) {
            this.interpreter = interpreter;
        }

        @Override
        public void run(ByteBuffer input, ByteBuffer output) {
            interpreter.run(input, output);
        }

        @Override
        public void close() {
            interpreter.close();
        }
    }
}

package org.bisenetv2tf.demo;

import android.content.res.AssetFileDescriptor;
import android.content.res.AssetManager;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import org.bisenetv2tf.core.Delegate;
import org.bisenetv2tf.core.ModelMetadata;
import org.tensorflow.lite.Interpreter;
import org.tensorflow.lite.Tensor;
import org.tensorflow.lite.gpu.CompatibilityList;
import org.tensorflow.lite.gpu.GpuDelegate;
import org.tensorflow.lite.nnapi.NnApiDelegate;

/**
 * Opens a model from the APK's assets in the TFLite interpreter on one delegate: CPU
 * (XNNPACK, N threads), GPU (the GPU delegate with {@link CompatibilityList}'s best options;
 * devices not on its list are refused, so the controller falls back to the CPU) or NNAPI.
 * Checks the interpreter's tensors against the model's metadata.
 */
final class TfLiteEngineFactory implements SegmentationController.EngineFactory {
    private final AssetManager assets;

    TfLiteEngineFactory(AssetManager assets) {
        this.assets = assets;
    }

    @Override
    public SegmentationController.Engine open(String modelFile, ModelMetadata meta, Delegate delegate, int threads)
            throws Exception {
        Interpreter.Options options = new Interpreter.Options();
        GpuDelegate gpu = null;
        NnApiDelegate nnapi = null;
        try {
            switch (delegate) {
                case CPU:
                    options.setNumThreads(threads);
                    options.setUseXNNPACK(true);
                    break;
                case GPU:
                    CompatibilityList compatibility = new CompatibilityList();
                    try {
                        if (!compatibility.isDelegateSupportedOnThisDevice()) {
                            throw new UnsupportedOperationException("this device is not on the GPU delegate's list");
                        }
                        gpu = new GpuDelegate(compatibility.getBestOptionsForThisDevice());
                    } finally {
                        compatibility.close();
                    }
                    options.addDelegate(gpu);
                    break;
                case NNAPI:
                    nnapi = new NnApiDelegate();
                    options.addDelegate(nnapi);
                    break;
                default:
                    throw new IllegalArgumentException("unknown delegate " + delegate);
            }
            Interpreter interpreter = new Interpreter(mapAsset(modelFile), options);
            try {
                check(interpreter.getInputTensor(0), meta.input, "input");
                check(interpreter.getOutputTensor(0), meta.output, "output");
            } catch (RuntimeException e) {
                interpreter.close();
                throw e;
            }
            return new TfLiteEngine(interpreter, gpu, nnapi);
        } catch (Exception e) {
            closeDelegates(gpu, nnapi);
            throw e;
        }
    }

    private static void check(Tensor tensor, ModelMetadata.TensorInfo expected, String what) {
        if (!Arrays.equals(tensor.shape(), expected.shape()) || tensor.numBytes() != expected.numBytes()) {
            throw new IllegalStateException("the model's " + what + " tensor " + Arrays.toString(tensor.shape())
                    + " does not match its metadata " + Arrays.toString(expected.shape()));
        }
    }

    private MappedByteBuffer mapAsset(String name) throws IOException {
        // needs the model stored uncompressed in the APK (build_apk.sh / noCompress "tflite")
        AssetFileDescriptor fd = assets.openFd(name);
        try {
            FileInputStream in = new FileInputStream(fd.getFileDescriptor());
            try {
                return in.getChannel().map(FileChannel.MapMode.READ_ONLY, fd.getStartOffset(),
                        fd.getDeclaredLength());
            } finally {
                in.close();
            }
        } finally {
            fd.close();
        }
    }

    static void closeDelegates(GpuDelegate gpu, NnApiDelegate nnapi) {
        if (gpu != null) {
            gpu.close();
        }
        if (nnapi != null) {
            nnapi.close();
        }
    }

    private static final class TfLiteEngine implements SegmentationController.Engine {
        private final Interpreter interpreter;
        private final GpuDelegate gpu;
        private final NnApiDelegate nnapi;

        TfLiteEngine(Interpreter interpreter, GpuDelegate gpu, NnApiDelegate nnapi) {
            this.interpreter = interpreter;
            this.gpu = gpu;
            this.nnapi = nnapi;
        }

        @Override
        public void run(ByteBuffer input, ByteBuffer output) {
            interpreter.run(input, output);
        }

        @Override
        public void close() {
            interpreter.close();
            closeDelegates(gpu, nnapi);
        }
    }
}

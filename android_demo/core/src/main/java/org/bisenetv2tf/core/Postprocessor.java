package org.bisenetv2tf.core;

import java.nio.ByteBuffer;

/**
 * The model's output tensor -> an H x W class map, like {@code bisenetv2_tf.runtime.metadata.class_map_from_output}:
 * argmax over the last axis of logits/probs (quantized or float), or the ids themselves for
 * an argmax head. Argmax follows numpy: the first maximum wins, and a NaN counts as the
 * maximum. Quantized outputs are compared raw: dequantization is monotonic (scale > 0), so
 * the argmax is the same without it.
 */
public final class Postprocessor {
    private Postprocessor() {
    }

    /**
     * Class ids, row-major H*W. {@code reuse} is filled and returned when it is large enough,
     * else a new array is made. Reads {@code output} with absolute gets in its byte order.
     */
    public static int[] classMap(ByteBuffer output, ModelMetadata.TensorInfo info, int[] reuse) {
        int h = info.dim(1);
        int w = info.dim(2);
        int n = h * w;
        if (output.capacity() < info.numBytes()) {
            throw new IllegalArgumentException("output buffer has " + output.capacity() + " bytes, the tensor has "
                    + info.numBytes());
        }
        int[] ids = reuse != null && reuse.length >= n ? reuse : new int[n];
        if (ModelMetadata.KIND_ARGMAX.equals(info.kind)) {
            for (int i = 0; i < n; i++) {
                switch (info.dtype) {
                    case UINT8: ids[i] = output.get(i) & 0xFF; break;
                    case INT8: ids[i] = output.get(i); break;
                    case INT32: ids[i] = output.getInt(4 * i); break;
                    case INT64: ids[i] = (int) output.getLong(8 * i); break;
                    default: throw new IllegalArgumentException("argmax output of type " + info.dtype.jsonName);
                }
            }
            return ids;
        }
        int k = info.dim(3);
        switch (info.dtype) {
            case UINT8:
                for (int i = 0, base = 0; i < n; i++, base += k) {
                    int best = 0;
                    int bestValue = output.get(base) & 0xFF;
                    for (int c = 1; c < k; c++) {
                        int v = output.get(base + c) & 0xFF;
                        if (v > bestValue) {
                            bestValue = v;
                            best = c;
                        }
                    }
                    ids[i] = best;
                }
                break;
            case INT8:
                for (int i = 0, base = 0; i < n; i++, base += k) {
                    int best = 0;
                    int bestValue = output.get(base);
                    for (int c = 1; c < k; c++) {
                        int v = output.get(base + c);
                        if (v > bestValue) {
                            bestValue = v;
                            best = c;
                        }
                    }
                    ids[i] = best;
                }
                break;
            case FLOAT32:
                for (int i = 0, base = 0; i < n; i++, base += k) {
                    ids[i] = argmaxFloat(output, base, k);
                }
                break;
            default:
                throw new IllegalArgumentException(info.kind + " output of type " + info.dtype.jsonName);
        }
        return ids;
    }

    private static int argmaxFloat(ByteBuffer output, int base, int k) {
        int best = 0;
        float bestValue = output.getFloat(4 * base);
        if (Float.isNaN(bestValue)) {
            return 0;
        }
        for (int c = 1; c < k; c++) {
            float v = output.getFloat(4 * (base + c));
            if (Float.isNaN(v)) {
                return c;
            }
            if (v > bestValue) {
                bestValue = v;
                best = c;
            }
        }
        return best;
    }

    /** Dequantized value of a raw quantized element: {@code (q - zeroPoint) * scale}. */
    public static float dequantize(int q, ModelMetadata.Quantization quant) {
        return (q - quant.zeroPoint) * quant.scale;
    }
}

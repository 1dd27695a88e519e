package org.bisenetv2tf.core;

import java.nio.ByteBuffer;

/**
 * RGB pixels -> the model's input tensor, exactly as {@code bisenetv2_tf.runtime.metadata.preprocess_rgb}:
 * <ol>
 *   <li>letterbox to the top-left of the H x W input (Pillow-exact bilinear resize, see
 *       {@link PilResize}); padding is the normalized value 0.0;</li>
 *   <li>{@code x = (p / 255f - mean[c]) / std[c]} in float32;</li>
 *   <li>for uint8/int8 inputs {@code q = clamp(floor(x / scale + 0.5f) + zeroPoint)}.</li>
 * </ol>
 * Steps 2-3 depend only on the channel value, so they are tabulated once per channel with
 * the same float32 operations; the tensor is identical to Python's bit for bit.
 */
public final class Preprocessor {
    private final ModelMetadata meta;
    // package-private: LetterboxWriter writes the tensor with the same tables
    final int height;
    final int width;
    final DataType dtype;
    final float[][] floatTable = new float[3][256];
    final byte[][] byteTable = new byte[3][256];
    final float padFloat;
    final byte padByte;

    public Preprocessor(ModelMetadata meta) {
        this.meta = meta;
        this.height = meta.inputHeight();
        this.width = meta.inputWidth();
        this.dtype = meta.input.dtype;
        float[] mean = meta.mean();
        float[] std = meta.std();
        ModelMetadata.Quantization q = meta.input.quantization;
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < 256; p++) {
                float x = normalize(p, mean[c], std[c]);
                floatTable[c][p] = x;
                if (dtype.isQuantized8()) {
                    byteTable[c][p] = (byte) quantize(x, q.scale, q.zeroPoint, dtype.minValue(), dtype.maxValue());
                }
            }
        }
        padFloat = 0.0f;
        padByte = dtype.isQuantized8()
                ? (byte) quantize(0.0f, q.scale, q.zeroPoint, dtype.minValue(), dtype.maxValue())
                : 0;
    }

    /** Step 2: {@code (p / 255 - mean) / std} in float32, in this order. */
    public static float normalize(int p, float mean, float std) {
        return ((float) p / 255.0f - mean) / std;
    }

    /** Step 3: round half up in float32, add the zero point, clamp to [qmin, qmax]. */
    public static int quantize(float x, float scale, int zeroPoint, int qmin, int qmax) {
        float t = x / scale + 0.5f;
        long q = (long) Math.floor(t) + zeroPoint;
        return (int) Math.max(qmin, Math.min(qmax, q));
    }

    public ModelMetadata metadata() {
        return meta;
    }

    /** Bytes the input tensor needs. */
    public int tensorBytes() {
        return meta.input.numBytes();
    }

    /** Letterbox geometry for an image of this size. */
    public Letterbox geometry(int imageWidth, int imageHeight) {
        return Letterbox.of(imageHeight, imageWidth, height, width);
    }

    /**
     * Letterboxes and normalizes a packed ARGB image (alpha ignored) into {@code out}
     * (written from index 0 with absolute puts; float tensors use {@code out}'s byte order;
     * the buffer is rewound). Returns the geometry used.
     */
    public Letterbox preprocess(int[] argb, int imageWidth, int imageHeight, ByteBuffer out) {
        Letterbox lb = geometry(imageWidth, imageHeight);
        int[] resized = lb.resizes()
                ? PilResize.resize(argb, imageWidth, imageHeight, lb.resizedWidth, lb.resizedHeight)
                : argb;
        writeTensor(resized, lb, out);
        return lb;
    }

    /**
     * Steps 2-3 only: {@code resized} already has the letterbox's resized size
     * ({@code resizedWidth x resizedHeight}); it is placed top-left and the rest padded.
     */
    public void writeTensor(int[] resized, Letterbox lb, ByteBuffer out) {
        if (lb.inputHeight != height || lb.inputWidth != width) {
            throw new IllegalArgumentException("letterbox is for a " + lb.inputHeight + "x" + lb.inputWidth
                    + " input, the model takes " + height + "x" + width);
        }
        int rw = lb.resizedWidth;
        int rh = lb.resizedHeight;
        if (resized.length < rw * rh) {
            throw new IllegalArgumentException("resized image holds " + resized.length + " pixels, need " + rw * rh);
        }
        if (out.capacity() < tensorBytes()) {
            throw new IllegalArgumentException("input buffer has " + out.capacity() + " bytes, the tensor needs "
                    + tensorBytes());
        }
        if (dtype.isQuantized8()) {
            byte[] t0 = byteTable[0];
            byte[] t1 = byteTable[1];
            byte[] t2 = byteTable[2];
            int i = 0;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    if (y < rh && x < rw) {
                        int p = resized[y * rw + x];
                        out.put(i, t0[(p >> 16) & 0xFF]);
                        out.put(i + 1, t1[(p >> 8) & 0xFF]);
                        out.put(i + 2, t2[p & 0xFF]);
                    } else {
                        out.put(i, padByte);
                        out.put(i + 1, padByte);
                        out.put(i + 2, padByte);
                    }
                    i += 3;
                }
            }
        } else {
            float[] t0 = floatTable[0];
            float[] t1 = floatTable[1];
            float[] t2 = floatTable[2];
            int i = 0;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    if (y < rh && x < rw) {
                        int p = resized[y * rw + x];
                        out.putFloat(i, t0[(p >> 16) & 0xFF]);
                        out.putFloat(i + 4, t1[(p >> 8) & 0xFF]);
                        out.putFloat(i + 8, t2[p & 0xFF]);
                    } else {
                        out.putFloat(i, padFloat);
                        out.putFloat(i + 4, padFloat);
                        out.putFloat(i + 8, padFloat);
                    }
                    i += 12;
                }
            }
        }
        out.rewind();
    }
}

package org.bisenetv2tf.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The model's output -> class ids, mask and histogram in one pass over the letterbox's valid
 * region, into arrays the caller keeps (no allocation per frame). The ids are
 * {@link Postprocessor#classMap}'s (numpy's argmax: first maximum wins, NaN counts as the
 * maximum); the mask is {@link MaskRenderer#validRegionMask}'s and the histogram
 * {@link MaskRenderer#histogram(int[], int, Letterbox, int)}'s.
 *
 * <p>For 8-bit logits the argmax is branch-free: each value is packed with its reversed
 * class index, {@code (v << s) | (2^s - 1 - c)}, and the largest key wins, so equal values
 * go to the smallest index. One instance per thread (it owns a row of scratch).
 */
public final class FramePostprocessor {
    private final ModelMetadata.TensorInfo info;
    private final int mapH;
    private final int mapW;
    private final int k;
    private final int shift;
    private final boolean argmaxHead;
    private byte[] rowBytes = new byte[0];
    private float[] rowFloats = new float[0];
    private ByteBuffer viewOf;
    private FloatBuffer view;
    private boolean little;

    public FramePostprocessor(ModelMetadata.TensorInfo output) {
        this.info = output;
        this.mapH = output.dim(1);
        this.mapW = output.dim(2);
        this.argmaxHead = ModelMetadata.KIND_ARGMAX.equals(output.kind);
        this.k = argmaxHead ? 1 : output.dim(3);
        int s = 0;
        while ((1 << s) < k) {
            s++;
        }
        this.shift = s;
        if (!argmaxHead && output.dtype != DataType.UINT8 && output.dtype != DataType.INT8
                && output.dtype != DataType.FLOAT32) {
            throw new IllegalArgumentException(output.kind + " output of type " + output.dtype.jsonName);
        }
        if (argmaxHead && output.dtype == DataType.FLOAT32) {
            throw new IllegalArgumentException("argmax output of type " + output.dtype.jsonName);
        }
    }

    public int mapWidth() {
        return mapW;
    }

    public int mapHeight() {
        return mapH;
    }

    /**
     * Fills, for the valid region {@code lb.resizedHeight x lb.resizedWidth}:
     * {@code classMap[y * mapWidth + x]} (entries outside the region are not touched),
     * {@code mask[y * resizedWidth + x] = colorTable[id]} (0 for ids outside the table) and
     * {@code histogram[id]++} for ids in [0, histogram.length) (the histogram is cleared first).
     * {@code allRows}: also fill the class ids of the padding (what
     * {@link Postprocessor#classMap} gives for the whole map); the mask and histogram still
     * cover the valid region only.
     */
    public void process(ByteBuffer output, Letterbox lb, int[] colorTable, int[] classMap, int[] mask,
                        int[] histogram, boolean allRows) {
        if (output.capacity() < info.numBytes()) {
            throw new IllegalArgumentException("output buffer has " + output.capacity() + " bytes, the tensor has "
                    + info.numBytes());
        }
        int rw = lb.resizedWidth;
        int rh = lb.resizedHeight;
        if (rw > mapW || rh > mapH) {
            throw new IllegalArgumentException("class map is smaller than the letterbox region " + rh + "x" + rw);
        }
        if (classMap.length < mapW * mapH || mask.length < rw * rh) {
            throw new IllegalArgumentException("class map or mask too small");
        }
        little = output.order() == ByteOrder.LITTLE_ENDIAN;
        java.util.Arrays.fill(histogram, 0);
        int nh = histogram.length;
        int nc = colorTable.length;
        int cols = allRows ? mapW : rw;
        int lastRow = allRows ? mapH : rh;
        int rowElems = cols * k;
        int es = info.dtype.bytes;
        FloatBuffer fv = null;
        if (info.dtype == DataType.FLOAT32) {
            fv = floatView(output);
            if (rowFloats.length < rowElems) {
                rowFloats = new float[rowElems];
            }
        } else if (rowBytes.length < rowElems * es) {
            rowBytes = new byte[rowElems * es];
        }
        try {
            for (int y = 0; y < lastRow; y++) {
                int o = y * mapW;
                if (fv != null) {
                    fv.position(y * mapW * k);
                    fv.get(rowFloats, 0, rowElems);
                    argmaxFloat(rowFloats, cols, classMap, o);
                } else {
                    output.position(y * mapW * k * es);
                    output.get(rowBytes, 0, rowElems * es);
                    argmax8(rowBytes, cols, classMap, o);
                }
                if (y < rh) {
                    int m = y * rw;
                    for (int x = 0; x < rw; x++) {
                        int c = classMap[o + x];
                        boolean known = c >= 0 && c < nc;
                        mask[m + x] = known ? colorTable[c] : 0;
                        if (c >= 0 && c < nh) {
                            histogram[c]++;
                        }
                    }
                }
            }
        } finally {
            output.rewind();
        }
    }

    private void argmax8(byte[] row, int cols, int[] ids, int o) {
        if (argmaxHead) {
            switch (info.dtype) {
                case UINT8:
                    for (int x = 0; x < cols; x++) {
                        ids[o + x] = row[x] & 0xFF;
                    }
                    return;
                case INT8:
                    for (int x = 0; x < cols; x++) {
                        ids[o + x] = row[x];
                    }
                    return;
                case INT32:
                    for (int x = 0, i = 0; x < cols; x++, i += 4) {
                        ids[o + x] = int32(row, i);
                    }
                    return;
                default: // INT64: the low 32 bits, like the (int) cast in Postprocessor
                    for (int x = 0, i = little ? 0 : 4; x < cols; x++, i += 8) {
                        ids[o + x] = int32(row, i);
                    }
                    return;
            }
        }
        // the same loop, inlined where the class count and type are constants the JIT unrolls
        // over (about twice as fast as with a variable count): CamVid's 11 and Cityscapes' 19
        boolean u8 = info.dtype == DataType.UINT8;
        if (k == 11 && u8) {
            argmaxLogits8(row, cols, ids, o, 11, 4, 0xFF, 0);
        } else if (k == 11) {
            argmaxLogits8(row, cols, ids, o, 11, 4, -1, 128);
        } else if (k == 19 && u8) {
            argmaxLogits8(row, cols, ids, o, 19, 5, 0xFF, 0);
        } else if (k == 19) {
            argmaxLogits8(row, cols, ids, o, 19, 5, -1, 128);
        } else {
            argmaxLogits8(row, cols, ids, o, k, shift, u8 ? 0xFF : -1, u8 ? 0 : 128);
        }
    }

    /**
     * Argmax of {@code cols} pixels of {@code k} 8-bit values each: the key
     * {@code (((v & valueMask) + bias) << s) | (2^s - 1 - c)} orders by value, then by the
     * smaller index; {@code valueMask}/{@code bias} read uint8 (0xFF, 0) or int8 (-1, 128).
     */
    private static void argmaxLogits8(byte[] row, int cols, int[] ids, int o, int k, int s, int valueMask,
                                      int bias) {
        int lo = (1 << s) - 1;
        for (int x = 0, b = 0; x < cols; x++, b += k) {
            int best = (((row[b] & valueMask) + bias) << s) | lo;
            for (int c = 1; c < k; c++) {
                best = Math.max(best, (((row[b + c] & valueMask) + bias) << s) | (lo - c));
            }
            ids[o + x] = lo - (best & lo);
        }
    }

    private int int32(byte[] row, int i) {
        // in the output buffer's byte order, as Postprocessor's getInt/getLong read it
        if (little) {
            return (row[i] & 0xFF) | (row[i + 1] & 0xFF) << 8 | (row[i + 2] & 0xFF) << 16 | row[i + 3] << 24;
        }
        return row[i] << 24 | (row[i + 1] & 0xFF) << 16 | (row[i + 2] & 0xFF) << 8 | (row[i + 3] & 0xFF);
    }

    private void argmaxFloat(float[] row, int cols, int[] ids, int o) {
        int kk = k;
        for (int x = 0, b = 0; x < cols; x++, b += kk) {
            int best = 0;
            float bestValue = row[b];
            if (bestValue != bestValue) { // NaN
                ids[o + x] = 0;
                continue;
            }
            for (int c = 1; c < kk; c++) {
                float v = row[b + c];
                if (v != v) {
                    best = c;
                    break;
                }
                if (v > bestValue) {
                    bestValue = v;
                    best = c;
                }
            }
            ids[o + x] = best;
        }
    }

    private FloatBuffer floatView(ByteBuffer output) {
        if (viewOf != output || view.order() != output.order()) {
            ByteBuffer whole = output.duplicate().order(output.order());
            whole.clear();
            view = whole.asFloatBuffer();
            viewOf = output;
        }
        return view;
    }
}

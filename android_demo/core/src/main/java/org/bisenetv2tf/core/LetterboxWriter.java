package org.bisenetv2tf.core;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The per-frame path of {@link Preprocessor#preprocess}, fused and allocation-free: a packed
 * ARGB frame as the sensor delivered it is rotated upright, letterboxed with Pillow's bilinear filter and normalized straight into the input tensor,
 * with no rotated copy, no resized copy and no per-frame allocation.
 *
 * <p>The arithmetic is {@link PilResize}'s (same coefficients, same 22-bit fixed point, same
 * pass order, same 8-bit rounding between the passes) and the tensor values are
 * {@link Preprocessor}'s tables, so the tensor is bit for bit what
 * {@code rotate -> Preprocessor.preprocess} gives, and that is what Python's
 * {@code preprocess_rgb} gives (the golden tests check both). Rotation is a matter of
 * strides: the resampling passes read the upright pixel {@code (x, y)} at
 * {@code src[base + x * sx + y * sy]}.
 *
 * <p>Everything that depends only on the geometry (letterbox, filter coefficients, pass
 * order, scratch rows) is computed when the frame size or rotation changes and
 * reused for every later frame. One instance per thread: it owns its scratch buffers.
 */
public final class LetterboxWriter {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private final Preprocessor pre;
    private final PilResize.Order order;
    private final int inH;
    private final int inW;
    private final boolean quantized;
    private final byte[] padRowBytes;
    private final float[] padRowFloats;

    // geometry of the last frame; everything below is derived from it
    private int keyW = -1;
    private int keyH = -1;
    private int keyRot = -1;
    private Letterbox lb;
    private int uw;
    private int uh;
    private int base;
    private int sx;
    private int sy;
    private boolean needH;
    private boolean needV;
    private boolean hFirst;
    private PilResize.Coefficients ch;
    private PilResize.Coefficients cv;
    /** {@code ch.start[x] * sx} for reads from the source, and {@code ch.start[x]} for reads from tmp. */
    private int[] chSrcOff;
    private int rowFirst;
    private int rows;
    private int[] tmp = new int[0];
    private int[] line = new int[0];
    private int[] accR = new int[0];
    private int[] accG = new int[0];
    private int[] accB = new int[0];
    private int[] colR = new int[0];
    private int[] colG = new int[0];
    private int[] colB = new int[0];
    private byte[] rowBytes;
    private float[] rowFloats;

    // float tensors: views of the last few output buffers (a view per frame would allocate)
    private final ByteBuffer[] viewOf = new ByteBuffer[4];
    private final FloatBuffer[] views = new FloatBuffer[4];
    private int nextView;

    public LetterboxWriter(Preprocessor pre) {
        this(pre, PilResize.Order.PILLOW_13);
    }

    /** {@code order}: the Pillow pass order to reproduce (the app uses Pillow 13's). */
    public LetterboxWriter(Preprocessor pre, PilResize.Order order) {
        this.pre = pre;
        this.order = order;
        this.inH = pre.height;
        this.inW = pre.width;
        this.quantized = pre.dtype.isQuantized8();
        if (quantized) {
            padRowBytes = new byte[inW * 3];
            Arrays.fill(padRowBytes, pre.padByte);
            rowBytes = padRowBytes.clone();
            padRowFloats = null;
        } else {
            padRowFloats = new float[inW * 3];
            Arrays.fill(padRowFloats, pre.padFloat);
            rowFloats = padRowFloats.clone();
            padRowBytes = null;
        }
    }

    /** Upright width of a {@code width x height} frame rotated by {@code degrees}. */
    public static int uprightWidth(int width, int height, int degrees) {
        return ImageOps.rotatedWidth(width, height, degrees);
    }

    /**
     * Writes the model input for a packed ARGB frame ({@code width x height} as delivered;
     * alpha ignored): rotated clockwise by {@code rotationDegrees} (0, 90, 180, 270), then
     * letterboxed and normalized into
     * {@code out} from index 0 (float tensors in {@code out}'s byte order). {@code out} is
     * rewound. Returns the letterbox of the upright image (the same instance while the
     * geometry stays the same).
     */
    public Letterbox write(int[] argb, int width, int height, int rotationDegrees, ByteBuffer out) {
        if (argb.length < width * height) {
            throw new IllegalArgumentException("pixel array holds " + argb.length + " pixels, need " + width * height);
        }
        if (out.capacity() < pre.tensorBytes()) {
            throw new IllegalArgumentException("input buffer has " + out.capacity() + " bytes, the tensor needs "
                    + pre.tensorBytes());
        }
        configure(width, height, rotationDegrees);
        FloatBuffer fv = quantized ? null : floatView(out);
        int rw = lb.resizedWidth;
        int rh = lb.resizedHeight;
        if (hFirst) {
            if (needH) {
                // like Pillow: only the source rows the vertical pass reads
                if (sy == 1 || sy == -1) {
                    hPassAcrossRows(argb, rw); // rotated 90/270: the upright rows are sensor columns
                } else {
                    for (int y = 0; y < rows; y++) {
                        hRow(argb, base + (rowFirst + y) * sy, chSrcOff, sx, tmp, y * rw, rw);
                    }
                }
                if (needV) {
                    for (int yo = 0; yo < rh; yo++) {
                        vRowContiguous(tmp, -rowFirst * rw, rw, rw, yo);
                        emit(yo, line, rw, out, fv);
                    }
                } else {
                    for (int yo = 0; yo < rh; yo++) {
                        System.arraycopy(tmp, yo * rw, line, 0, rw);
                        emit(yo, line, rw, out, fv);
                    }
                }
            } else if (needV) {
                for (int yo = 0; yo < rh; yo++) {
                    vRow(argb, yo);
                    emit(yo, line, rw, out, fv);
                }
            } else {
                for (int y = 0; y < rh; y++) {
                    int o = base + y * sy;
                    for (int x = 0; x < rw; x++, o += sx) {
                        line[x] = argb[o];
                    }
                    emit(y, line, rw, out, fv);
                }
            }
        } else {
            // Pillow 13, height shrinking much more than width: vertical pass first (needV is true)
            for (int yo = 0; yo < rh; yo++) {
                vRow(argb, yo);
                System.arraycopy(line, 0, tmp, yo * uw, uw);
            }
            for (int yo = 0; yo < rh; yo++) {
                if (needH) {
                    hRow(tmp, yo * uw, ch.start, 1, line, 0, rw);
                } else {
                    System.arraycopy(tmp, yo * uw, line, 0, rw);
                }
                emit(yo, line, rw, out, fv);
            }
        }
        for (int y = rh; y < inH; y++) {
            emitPad(y, out, fv);
        }
        out.rewind();
        return lb;
    }

    /** The letterbox of the last frame written (null before the first). */
    public Letterbox letterbox() {
        return lb;
    }

    private void configure(int width, int height, int rotationDegrees) {
        int rot = ((rotationDegrees % 360) + 360) % 360;
        if (rot % 90 != 0) {
            throw new IllegalArgumentException("rotation must be a multiple of 90 degrees, got " + rotationDegrees);
        }
        if (width == keyW && height == keyH && rot == keyRot) {
            return;
        }
        uw = ImageOps.rotatedWidth(width, height, rot);
        uh = ImageOps.rotatedHeight(width, height, rot);
        switch (rot) {
            case 0: base = 0; sx = 1; sy = width; break;
            case 90: base = (height - 1) * width; sx = -width; sy = 1; break;
            case 180: base = height * width - 1; sx = -1; sy = -width; break;
            default: base = width - 1; sx = width; sy = -1; break; // 270
        }
        lb = Letterbox.of(uh, uw, inH, inW);
        int rw = lb.resizedWidth;
        int rh = lb.resizedHeight;
        needH = rw != uw;
        needV = rh != uh;
        hFirst = !needV || PilResize.horizontalFirst(uw, uh, rw, rh, order);
        ch = needH ? PilResize.coefficients(uw, rw) : null;
        cv = needV ? PilResize.coefficients(uh, rh) : null;
        int tmpSize = 0;
        if (hFirst && needH) {
            rowFirst = needV ? cv.start[0] : 0;
            rows = needV ? cv.start[rh - 1] + cv.count[rh - 1] - rowFirst : uh;
            tmpSize = rows * rw;
            chSrcOff = new int[rw];
            for (int x = 0; x < rw; x++) {
                chSrcOff[x] = ch.start[x] * sx;
            }
        } else if (!hFirst) {
            tmpSize = rh * uw;
        }
        if (tmp.length < tmpSize) {
            tmp = new int[tmpSize];
        }
        int lineSize = Math.max(uw, rw);
        if (line.length < lineSize) {
            line = new int[lineSize];
            accR = new int[lineSize];
            accG = new int[lineSize];
            accB = new int[lineSize];
        }
        // the padding right of the valid region never changes: written into the row once
        if (quantized) {
            System.arraycopy(padRowBytes, 0, rowBytes, 0, rowBytes.length);
        } else {
            System.arraycopy(padRowFloats, 0, rowFloats, 0, rowFloats.length);
        }
        keyW = width;
        keyH = height;
        keyRot = rot;
    }

    private static int clip8(int ss) {
        int v = ss >> PRECISION_BITS;
        return v < 0 ? 0 : (v > 255 ? 255 : v);
    }

    /**
     * Horizontal pass for one row: {@code dst[dstOff + x]}, x < outW, from the row starting at
     * {@code rowBase} whose taps for x start at {@code rowBase + offs[x]} and step by {@code step}.
     */
    private void hRow(int[] src, int rowBase, int[] offs, int step, int[] dst, int dstOff, int outW) {
        int ksize = ch.ksize;
        int[] count = ch.count;
        int[] weights = ch.weights;
        for (int x = 0; x < outW; x++) {
            int o = rowBase + offs[x];
            int n = count[x];
            int kb = x * ksize;
            int s0 = HALF;
            int s1 = HALF;
            int s2 = HALF;
            for (int k = 0; k < n; k++, o += step) {
                int p = src[o];
                int w = weights[kb + k];
                s0 += ((p >> 16) & 0xFF) * w;
                s1 += ((p >> 8) & 0xFF) * w;
                s2 += (p & 0xFF) * w;
            }
            dst[dstOff + x] = (clip8(s0) << 16) | (clip8(s1) << 8) | clip8(s2);
        }
    }

    /**
     * The horizontal pass of {@link #hRow} for every row at once, when upright rows are
     * neighbouring sensor columns ({@code sy} is +-1: rotation 90 or 270): for each output
     * column and tap, one sweep over a run of contiguous sensor pixels, accumulating all rows
     * (a loop the JIT vectorizes), instead of a strided gather per output pixel. Same sums in
     * the same fixed point, so the same pixels.
     */
    private void hPassAcrossRows(int[] src, int outW) {
        int n = rows;
        if (colR.length < n) {
            colR = new int[n];
            colG = new int[n];
            colB = new int[n];
        }
        int[] r = colR;
        int[] g = colG;
        int[] b = colB;
        int[] t = tmp;
        // accumulator j holds upright row rowFirst + j (sy = 1) or rowFirst + n - 1 - j (sy = -1),
        // so that j walks the sensor column's pixels in memory order
        int first = sy == 1 ? base + rowFirst : base - (rowFirst + n - 1);
        int ksize = ch.ksize;
        for (int x = 0; x < outW; x++) {
            Arrays.fill(r, 0, n, HALF);
            Arrays.fill(g, 0, n, HALF);
            Arrays.fill(b, 0, n, HALF);
            int count = ch.count[x];
            int kb = x * ksize;
            for (int k = 0; k < count; k++) {
                int w = ch.weights[kb + k];
                int o = first + chSrcOff[x] + k * sx;
                for (int j = 0; j < n; j++) {
                    int p = src[o + j];
                    r[j] += ((p >> 16) & 0xFF) * w;
                    g[j] += ((p >> 8) & 0xFF) * w;
                    b[j] += (p & 0xFF) * w;
                }
            }
            if (sy == 1) {
                for (int j = 0, d = x; j < n; j++, d += outW) {
                    t[d] = (clip8(r[j]) << 16) | (clip8(g[j]) << 8) | clip8(b[j]);
                }
            } else {
                for (int j = 0, d = (n - 1) * outW + x; j < n; j++, d -= outW) {
                    t[d] = (clip8(r[j]) << 16) | (clip8(g[j]) << 8) | clip8(b[j]);
                }
            }
        }
    }

    /** Vertical pass for output row yo from the source through the rotation strides, into line[0..uw). */
    private void vRow(int[] src, int yo) {
        int s = cv.start[yo];
        int n = cv.count[yo];
        int kb = yo * cv.ksize;
        int[] weights = cv.weights;
        for (int x = 0; x < uw; x++) {
            int o = base + x * sx + s * sy;
            int s0 = HALF;
            int s1 = HALF;
            int s2 = HALF;
            for (int k = 0; k < n; k++, o += sy) {
                int p = src[o];
                int w = weights[kb + k];
                s0 += ((p >> 16) & 0xFF) * w;
                s1 += ((p >> 8) & 0xFF) * w;
                s2 += (p & 0xFF) * w;
            }
            line[x] = (clip8(s0) << 16) | (clip8(s1) << 8) | clip8(s2);
        }
    }

    /**
     * Vertical pass for output row yo over rows of {@code width} contiguous pixels (row r at
     * {@code rowBase + r * stride}), into line[0..width): tap by tap over the whole row, a
     * loop the JIT can vectorize.
     */
    private void vRowContiguous(int[] src, int rowBase, int stride, int width, int yo) {
        int s = cv.start[yo];
        int n = cv.count[yo];
        int kb = yo * cv.ksize;
        int[] r = accR;
        int[] g = accG;
        int[] b = accB;
        Arrays.fill(r, 0, width, HALF);
        Arrays.fill(g, 0, width, HALF);
        Arrays.fill(b, 0, width, HALF);
        for (int k = 0; k < n; k++) {
            int w = cv.weights[kb + k];
            int o = rowBase + (s + k) * stride;
            for (int x = 0; x < width; x++) {
                int p = src[o + x];
                r[x] += ((p >> 16) & 0xFF) * w;
                g[x] += ((p >> 8) & 0xFF) * w;
                b[x] += (p & 0xFF) * w;
            }
        }
        for (int x = 0; x < width; x++) {
            line[x] = (clip8(r[x]) << 16) | (clip8(g[x]) << 8) | clip8(b[x]);
        }
    }

    /** Tensor row y from the resized pixels px[0..rw); the padding right of them is already in the row. */
    private void emit(int y, int[] px, int rw, ByteBuffer out, FloatBuffer fv) {
        if (quantized) {
            byte[] t0 = pre.byteTable[0];
            byte[] t1 = pre.byteTable[1];
            byte[] t2 = pre.byteTable[2];
            byte[] row = rowBytes;
            for (int x = 0, i = 0; x < rw; x++, i += 3) {
                int p = px[x];
                row[i] = t0[(p >> 16) & 0xFF];
                row[i + 1] = t1[(p >> 8) & 0xFF];
                row[i + 2] = t2[p & 0xFF];
            }
            out.position(y * row.length);
            out.put(row, 0, row.length);
        } else {
            float[] t0 = pre.floatTable[0];
            float[] t1 = pre.floatTable[1];
            float[] t2 = pre.floatTable[2];
            float[] row = rowFloats;
            for (int x = 0, i = 0; x < rw; x++, i += 3) {
                int p = px[x];
                row[i] = t0[(p >> 16) & 0xFF];
                row[i + 1] = t1[(p >> 8) & 0xFF];
                row[i + 2] = t2[p & 0xFF];
            }
            fv.position(y * row.length);
            fv.put(row, 0, row.length);
        }
    }

    private void emitPad(int y, ByteBuffer out, FloatBuffer fv) {
        if (quantized) {
            out.position(y * padRowBytes.length);
            out.put(padRowBytes, 0, padRowBytes.length);
        } else {
            fv.position(y * padRowFloats.length);
            fv.put(padRowFloats, 0, padRowFloats.length);
        }
    }

    private FloatBuffer floatView(ByteBuffer out) {
        for (int i = 0; i < viewOf.length; i++) {
            if (viewOf[i] == out && views[i].order() == out.order()) {
                return views[i];
            }
        }
        int i = nextView;
        nextView = (nextView + 1) % viewOf.length;
        ByteBuffer whole = out.duplicate().order(out.order());
        whole.clear();
        viewOf[i] = out;
        views[i] = whole.asFloatBuffer();
        return views[i];
    }
}

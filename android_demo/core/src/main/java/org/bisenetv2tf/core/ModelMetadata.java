package org.bisenetv2tf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The metadata JSON written beside every converted model ({@code MODEL.tflite -> MODEL.json}),
 * schema version 1 of {@code bisenetv2_tf/runtime/metadata.py}: input/output tensors, normalization,
 * letterbox resize, labels and colors. Apps read everything model-specific from here.
 */
public final class ModelMetadata {
    public static final String FORMAT = "bisenetv2-tf/metadata";
    public static final int VERSION = 1;

    public static final String KIND_LOGITS = "logits";
    public static final String KIND_PROBS = "probs";
    public static final String KIND_ARGMAX = "argmax";

    /** Affine quantization: {@code real = (q - zeroPoint) * scale}. */
    public static final class Quantization {
        public final float scale;
        public final int zeroPoint;

        public Quantization(float scale, int zeroPoint) {
            this.scale = scale;
            this.zeroPoint = zeroPoint;
        }
    }

    /** One model tensor. {@code quantization} is null for float tensors; {@code kind} only on the output. */
    public static final class TensorInfo {
        public final String name;
        private final int[] shape;
        public final DataType dtype;
        public final Quantization quantization;
        public final String kind;

        TensorInfo(String name, int[] shape, DataType dtype, Quantization quantization, String kind) {
            this.name = name;
            this.shape = shape.clone();
            this.dtype = dtype;
            this.quantization = quantization;
            this.kind = kind;
        }

        public int[] shape() {
            return shape.clone();
        }

        public int dim(int i) {
            return shape[i];
        }

        public int rank() {
            return shape.length;
        }

        public int numElements() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        public int numBytes() {
            return numElements() * dtype.bytes;
        }
    }

    public final String model;
    public final String precision;
    public final TensorInfo input;
    public final TensorInfo output;
    private final float[] mean;
    private final float[] std;
    public final String resize;
    private final List<String> labels;
    private final int[] colors;
    public final int ignoreIndex;

    private ModelMetadata(String model, String precision, TensorInfo input, TensorInfo output,
                          float[] mean, float[] std, String resize, List<String> labels, int[] colors,
                          int ignoreIndex) {
        this.model = model;
        this.precision = precision;
        this.input = input;
        this.output = output;
        this.mean = mean;
        this.std = std;
        this.resize = resize;
        this.labels = Collections.unmodifiableList(new ArrayList<>(labels));
        this.colors = colors;
        this.ignoreIndex = ignoreIndex;
    }

    /** Input height H of the (1, H, W, 3) tensor. */
    public int inputHeight() {
        return input.dim(1);
    }

    /** Input width W of the (1, H, W, 3) tensor. */
    public int inputWidth() {
        return input.dim(2);
    }

    public int numClasses() {
        return labels.size();
    }

    /** Per-channel RGB mean, as float32 (the same rounding numpy's float32 arrays use). */
    public float[] mean() {
        return mean.clone();
    }

    public float[] std() {
        return std.clone();
    }

    public List<String> labels() {
        return labels;
    }

    /** Class colors packed as 0xRRGGBB (no alpha). */
    public int[] colors() {
        return colors.clone();
    }

    /** True when the output holds class ids rather than per-class scores. */
    public boolean outputIsClassMap() {
        return KIND_ARGMAX.equals(output.kind);
    }

    /** Parses and validates a metadata document; errors name the offending field. */
    public static ModelMetadata parse(String jsonText) {
        Map<String, Object> root;
        try {
            root = Json.parseObject(jsonText);
        } catch (Json.JsonException e) {
            throw new MetadataException("not valid JSON: " + e.getMessage(), e);
        }
        String format = string(root, "format");
        if (!FORMAT.equals(format)) {
            throw new MetadataException("'format' is \"" + format + "\", expected \"" + FORMAT + "\"");
        }
        int version = integer(root, "version");
        if (version != VERSION) {
            throw new MetadataException("unsupported version " + version + "; this app reads version " + VERSION);
        }
        TensorInfo input = tensor(object(root, "input"), "input", false);
        TensorInfo output = tensor(object(root, "output"), "output", true);

        int[] in = input.shape;
        if (in.length != 4 || in[0] != 1 || in[3] != 3 || in[1] <= 0 || in[2] <= 0) {
            throw new MetadataException("'input.shape' must be [1, H, W, 3], got " + shapeString(in));
        }
        Object layout = object(root, "input").get("layout");
        if (layout != null && !"NHWC".equals(layout)) {
            throw new MetadataException("'input.layout' must be NHWC, got " + layout);
        }
        if (input.dtype != DataType.UINT8 && input.dtype != DataType.INT8 && input.dtype != DataType.FLOAT32) {
            throw new MetadataException("'input.dtype' must be uint8, int8 or float32, got " + input.dtype.jsonName);
        }

        Map<String, Object> norm = object(root, "normalization");
        float[] mean = floats(norm, "normalization.mean", "mean", 3);
        float[] std = floats(norm, "normalization.std", "std", 3);
        for (float s : std) {
            if (!(s > 0f) || Float.isInfinite(s)) {
                throw new MetadataException("'normalization.std' values must be positive and finite");
            }
        }
        String resize = string(root, "resize");
        if (!"letterbox".equals(resize)) {
            throw new MetadataException("'resize' must be \"letterbox\", got \"" + resize + "\"");
        }

        List<Object> rawLabels = array(root, "labels");
        List<String> labels = new ArrayList<>();
        for (Object o : rawLabels) {
            if (!(o instanceof String)) {
                throw new MetadataException("'labels' must be strings");
            }
            labels.add((String) o);
        }
        if (labels.isEmpty() || labels.size() > 256) {
            throw new MetadataException("'labels' must name 1..256 classes, got " + labels.size());
        }
        List<Object> rawColors = array(root, "colors");
        if (rawColors.size() != labels.size()) {
            throw new MetadataException("'colors' has " + rawColors.size() + " entries but 'labels' has " + labels.size());
        }
        int[] colors = new int[rawColors.size()];
        for (int i = 0; i < colors.length; i++) {
            Object c = rawColors.get(i);
            if (!(c instanceof List) || ((List<?>) c).size() != 3) {
                throw new MetadataException("'colors[" + i + "]' must be [r, g, b]");
            }
            int rgb = 0;
            for (Object v : (List<?>) c) {
                long channel = asLong(v, "colors[" + i + "]");
                if (channel < 0 || channel > 255) {
                    throw new MetadataException("'colors[" + i + "]' values must be 0..255");
                }
                rgb = (rgb << 8) | (int) channel;
            }
            colors[i] = rgb;
        }
        if (root.containsKey("num_classes") && integer(root, "num_classes") != labels.size()) {
            throw new MetadataException("'num_classes' is " + root.get("num_classes") + " but 'labels' has " + labels.size());
        }
        int ignore = root.containsKey("ignore_index") ? integer(root, "ignore_index") : 255;

        int[] out = output.shape;
        boolean argmax = KIND_ARGMAX.equals(output.kind);
        if (argmax) {
            boolean ok = (out.length == 3 || (out.length == 4 && out[3] == 1)) && out[0] == 1;
            if (!ok) {
                throw new MetadataException("'output.shape' of an argmax output must be [1, H, W], got " + shapeString(out));
            }
            if (output.dtype == DataType.FLOAT32) {
                throw new MetadataException("'output.dtype' of an argmax output must be an integer type");
            }
        } else {
            if (out.length != 4 || out[0] != 1) {
                throw new MetadataException("'output.shape' must be [1, H, W, K], got " + shapeString(out));
            }
            if (out[3] != labels.size()) {
                throw new MetadataException("'output.shape' has " + out[3] + " classes but 'labels' has " + labels.size());
            }
            if (output.dtype != DataType.FLOAT32 && !output.dtype.isQuantized8()) {
                throw new MetadataException("'output.dtype' of a " + output.kind + " output must be float32, uint8 or int8");
            }
        }
        if (out[1] != in[1] || out[2] != in[2]) {
            throw new MetadataException("output size " + out[1] + "x" + out[2] + " differs from input size "
                    + in[1] + "x" + in[2] + "; the app expects full-resolution outputs");
        }
        return new ModelMetadata(optString(root, "model"), optString(root, "precision"), input, output,
                mean, std, resize, labels, colors, ignore);
    }

    private static TensorInfo tensor(Map<String, Object> m, String where, boolean isOutput) {
        String name = optString(m, "name");
        List<Object> rawShape = array(m, "shape", where + ".shape");
        int[] shape = new int[rawShape.size()];
        for (int i = 0; i < shape.length; i++) {
            long d = asLong(rawShape.get(i), where + ".shape");
            if (d <= 0 || d > 1 << 20) {
                throw new MetadataException("'" + where + ".shape' has a bad dimension " + d);
            }
            shape[i] = (int) d;
        }
        String dtypeName = string(m, "dtype", where + ".dtype");
        DataType dtype = DataType.fromJsonName(dtypeName);
        if (dtype == null) {
            throw new MetadataException("'" + where + ".dtype' " + dtypeName + " is not supported");
        }
        Quantization quant = null;
        Object q = m.get("quantization");
        if (q != null) {
            if (!(q instanceof Map)) {
                throw new MetadataException("'" + where + ".quantization' must be an object or null");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> qm = (Map<String, Object>) q;
            double scale = asDouble(qm.get("scale"), where + ".quantization.scale");
            long zp = asLong(qm.get("zero_point"), where + ".quantization.zero_point");
            if (!(scale > 0) || Double.isInfinite(scale)) {
                throw new MetadataException("'" + where + ".quantization.scale' must be positive, got " + scale);
            }
            quant = new Quantization((float) scale, (int) zp);
        }
        if (dtype.isQuantized8() && quant == null && !(isOutput && KIND_ARGMAX.equals(m.get("kind")))) {
            throw new MetadataException("'" + where + "' is " + dtype.jsonName + " but has no quantization");
        }
        String kind = null;
        if (isOutput) {
            kind = string(m, "kind", where + ".kind");
            if (!KIND_LOGITS.equals(kind) && !KIND_PROBS.equals(kind) && !KIND_ARGMAX.equals(kind)) {
                throw new MetadataException("'" + where + ".kind' must be logits, probs or argmax, got " + kind);
            }
        }
        return new TensorInfo(name, shape, dtype, quant, kind);
    }

    static String shapeString(int[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(']').toString();
    }

    private static Object required(Map<String, Object> m, String key, String where) {
        if (!m.containsKey(key) || m.get(key) == null) {
            throw new MetadataException("missing '" + where + "'");
        }
        return m.get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> m, String key) {
        Object v = required(m, key, key);
        if (!(v instanceof Map)) {
            throw new MetadataException("'" + key + "' must be an object");
        }
        return (Map<String, Object>) v;
    }

    private static List<Object> array(Map<String, Object> m, String key) {
        return array(m, key, key);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> array(Map<String, Object> m, String key, String where) {
        Object v = required(m, key, where);
        if (!(v instanceof List)) {
            throw new MetadataException("'" + where + "' must be an array");
        }
        return (List<Object>) v;
    }

    private static String string(Map<String, Object> m, String key) {
        return string(m, key, key);
    }

    private static String string(Map<String, Object> m, String key, String where) {
        Object v = required(m, key, where);
        if (!(v instanceof String)) {
            throw new MetadataException("'" + where + "' must be a string");
        }
        return (String) v;
    }

    private static String optString(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof String ? (String) v : "";
    }

    private static int integer(Map<String, Object> m, String key) {
        long v = asLong(required(m, key, key), key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new MetadataException("'" + key + "' is out of range");
        }
        return (int) v;
    }

    private static float[] floats(Map<String, Object> m, String where, String key, int n) {
        List<Object> list = array(m, key, where);
        if (list.size() != n) {
            throw new MetadataException("'" + where + "' must have " + n + " values, got " + list.size());
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            // double -> float32 rounding, exactly like np.asarray(values, np.float32)
            out[i] = (float) asDouble(list.get(i), where);
        }
        return out;
    }

    private static long asLong(Object v, String where) {
        if (v instanceof Long) {
            return (Long) v;
        }
        if (v instanceof Double) {
            double d = (Double) v;
            if (d == Math.rint(d) && Math.abs(d) < 9.0e15) {
                return (long) d;
            }
        }
        throw new MetadataException("'" + where + "' must be an integer, got " + v);
    }

    private static double asDouble(Object v, String where) {
        if (v instanceof Number) {
            return ((Number) v).doubleValue();
        }
        throw new MetadataException("'" + where + "' must be a number, got " + v);
    }

    /** A metadata file that cannot be used; the message names the field. */
    public static final class MetadataException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public MetadataException(String message) {
            super("model metadata: " + message);
        }

        public MetadataException(String message, Throwable cause) {
            super("model metadata: " + message, cause);
        }
    }
}

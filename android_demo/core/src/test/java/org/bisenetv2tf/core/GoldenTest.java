package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * Cross-language golden test: for every case folder under {@code golden/} (written by
 * {@code android_demo/tools/make_golden.py} from a real .tflite model with Python's
 * {@code bisenetv2_tf.runtime.metadata} and the LiteRT interpreter), the Java core must reproduce the
 * resized image and the input tensor bit for bit, the class map from the model's output,
 * and the class map and overlay at image size from that class map.
 */
@RunWith(Parameterized.class)
public class GoldenTest {
    private final File dir;
    private final Map<String, Object> spec;
    private final ModelMetadata meta;
    private final int height;
    private final int width;
    private final int[] image;

    @Parameters(name = "{0}")
    public static Collection<Object[]> cases() throws IOException {
        File root = goldenRoot();
        List<Object[]> cases = new ArrayList<>();
        File[] dirs = root.listFiles();
        if (dirs != null) {
            Arrays.sort(dirs);
            for (File d : dirs) {
                if (new File(d, "case.json").isFile()) {
                    cases.add(new Object[] {d.getName(), d});
                }
            }
        }
        if (cases.isEmpty()) {
            throw new IOException("no golden cases in " + root + "; run android_demo/tools/make_golden.py");
        }
        return cases;
    }

    static File goldenRoot() throws IOException {
        URL url = GoldenTest.class.getClassLoader().getResource("golden");
        if (url == null) {
            throw new IOException("test resource folder 'golden' is not on the classpath");
        }
        try {
            return new File(url.toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    public GoldenTest(String name, File dir) throws IOException {
        this.dir = dir;
        this.spec = Json.parseObject(read(new File(dir, "case.json")));
        assertEquals("bisenetv2-tf/golden", spec.get("format"));
        this.meta = ModelMetadata.parse(read(new File(dir, "model.json")));
        Map<String, Object> img = obj("image");
        List<?> shape = (List<?>) img.get("shape");
        this.height = ((Long) shape.get(0)).intValue();
        this.width = ((Long) shape.get(1)).intValue();
        byte[] rgb = gunzip(new File(dir, (String) img.get("file")));
        assertEquals(height * width * 3, rgb.length);
        this.image = ImageOps.rgbToArgb(rgb, height * width);
    }

    @Test
    public void fixtureExercisesTheLetterbox() {
        assertFalse("fixture must differ from the model input size",
                height == meta.inputHeight() && width == meta.inputWidth());
        Letterbox lb = Letterbox.of(height, width, meta.inputHeight(), meta.inputWidth());
        Map<String, Object> expected = obj("letterbox");
        assertEquals(((Long) expected.get("resized_height")).intValue(), lb.resizedHeight);
        assertEquals(((Long) expected.get("resized_width")).intValue(), lb.resizedWidth);
        assertEquals((Double) expected.get("scale"), lb.scale, 0.0);
    }

    /** The pass order of the Pillow that wrote the case (the app always uses Pillow 13's). */
    private PilResize.Order pillowOrder() {
        Object v = spec.get("pillow_version");
        int major = v instanceof String ? Integer.parseInt(((String) v).split("\\.")[0]) : 13;
        return PilResize.Order.forPillowMajor(major);
    }

    @Test
    public void resizeIsBitExactWithPillow() throws IOException {
        Letterbox lb = Letterbox.of(height, width, meta.inputHeight(), meta.inputWidth());
        int[] resized = lb.resizes()
                ? PilResize.resize(image, width, height, lb.resizedWidth, lb.resizedHeight, pillowOrder()) : image;
        checkArray("resized", ImageOps.argbToRgb(resized, lb.resizedWidth * lb.resizedHeight));
    }

    @Test
    public void inputTensorIsBitExact() throws IOException {
        Preprocessor pre = new Preprocessor(meta);
        ByteBuffer buf = ByteBuffer.allocate(pre.tensorBytes()).order(ByteOrder.LITTLE_ENDIAN);
        Letterbox lb = pre.geometry(width, height);
        if (pillowOrder() == PilResize.Order.PILLOW_13) { // the app's own entry point: resize + tensor
            lb = pre.preprocess(image, width, height, buf);
        } else {
            int[] resized = lb.resizes() ? PilResize.resize(image, width, height, lb.resizedWidth, lb.resizedHeight,
                    pillowOrder()) : image;
            pre.writeTensor(resized, lb, buf);
        }
        assertEquals(meta.input.dtype.jsonName, obj("input").get("dtype"));
        byte[] tensor = new byte[buf.capacity()];
        buf.get(tensor);
        checkArray("input", tensor);
        // padding below/right of the valid region holds the quantized (or float) zero
        int last = ((meta.inputHeight() * meta.inputWidth()) - 1) * 3 * meta.input.dtype.bytes;
        if (!lb.isValid(meta.inputWidth() - 1, meta.inputHeight() - 1)) {
            ByteBuffer pad = ByteBuffer.allocate(meta.input.dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
            pad.put(tensor, last, meta.input.dtype.bytes).rewind();
            if (meta.input.dtype == DataType.FLOAT32) {
                assertEquals(0.0f, pad.getFloat(), 0f);
            } else {
                int v = meta.input.dtype == DataType.UINT8 ? pad.get() & 0xFF : pad.get();
                ModelMetadata.Quantization q = meta.input.quantization;
                assertEquals(Math.max(meta.input.dtype.minValue(), Math.min(meta.input.dtype.maxValue(), q.zeroPoint)), v);
            }
        }
    }

    /**
     * The live path's fused letterbox ({@link LetterboxWriter}) gives Python's tensor too, also
     * when the frame arrives rotated: the fixture turned by 270, 180 and 90 degrees and turned
     * back upright by the writer.
     */
    @Test
    public void fusedLetterboxFromARotatedFrameIsBitExact() throws IOException {
        Preprocessor pre = new Preprocessor(meta);
        LetterboxWriter writer = new LetterboxWriter(pre, pillowOrder());
        for (int rot : new int[] {0, 90, 180, 270}) {
            // the sensor frame that rot turns upright
            int[] sensor = ImageOps.rotate(image, width, height, 360 - rot);
            int sw = ImageOps.rotatedWidth(width, height, rot);
            int sh = ImageOps.rotatedHeight(width, height, rot);
            ByteBuffer buf = ByteBuffer.allocateDirect(pre.tensorBytes()).order(ByteOrder.LITTLE_ENDIAN);
            Letterbox lb = writer.write(sensor, sw, sh, rot, buf);
            assertEquals(width, lb.imageWidth);
            assertEquals(height, lb.imageHeight);
            byte[] tensor = new byte[buf.capacity()];
            buf.get(tensor);
            checkArray("input", tensor);
        }
    }

    @Test
    public void classMapFromModelOutput() throws IOException {
        Map<String, Object> out = obj("output");
        int[] rows = rows(out);
        byte[] band = gunzip(new File(dir, (String) out.get("file")));
        int rowElements = meta.output.numElements() / meta.output.dim(1);
        int rowBytes = rowElements * meta.output.dtype.bytes;
        assertEquals((rows[1] - rows[0]) * rowBytes, band.length);
        // place the band in a full-size output buffer; rows outside it stay zero and are not compared
        ByteBuffer full = ByteBuffer.allocate(meta.output.numBytes()).order(ByteOrder.LITTLE_ENDIAN);
        full.position(rows[0] * rowBytes);
        full.put(band);
        full.rewind();
        int[] ids = Postprocessor.classMap(full, meta.output, null);
        // and the live path's one-pass argmax over the whole map
        int[] fast = new int[ids.length];
        Letterbox lb = Letterbox.of(height, width, meta.inputHeight(), meta.inputWidth());
        new FramePostprocessor(meta.output).process(full, lb, new int[meta.numClasses()], fast,
                new int[ids.length], new int[meta.numClasses()], true);
        byte[] expected = fullArray("class_map");
        int w = meta.output.dim(2);
        for (int y = rows[0]; y < rows[1]; y++) {
            for (int x = 0; x < w; x++) {
                if ((expected[y * w + x] & 0xFF) != ids[y * w + x]) {
                    fail("class id at row " + y + ", col " + x + ": python " + (expected[y * w + x] & 0xFF)
                            + ", java " + ids[y * w + x]);
                }
                if ((expected[y * w + x] & 0xFF) != fast[y * w + x]) {
                    fail("class id (FramePostprocessor) at row " + y + ", col " + x + ": python "
                            + (expected[y * w + x] & 0xFF) + ", java " + fast[y * w + x]);
                }
            }
        }
    }

    @Test
    public void imageClassMapAndOverlayFromClassMap() throws IOException {
        byte[] cm = fullArray("class_map");
        int[] classMap = new int[cm.length];
        for (int i = 0; i < cm.length; i++) {
            classMap[i] = cm[i] & 0xFF;
        }
        Letterbox lb = Letterbox.of(height, width, meta.inputHeight(), meta.inputWidth());
        int[] imgClasses = MaskRenderer.classMapToImage(classMap, meta.inputWidth(), lb);
        byte[] asBytes = new byte[imgClasses.length];
        for (int i = 0; i < imgClasses.length; i++) {
            asBytes[i] = (byte) imgClasses[i];
        }
        checkArray("image_class_map", asBytes);
        int alpha = ((Long) spec.get("alpha")).intValue();
        int[] overlay = MaskRenderer.blend(image, imgClasses, meta.colors(), alpha);
        checkArray("overlay", ImageOps.argbToRgb(overlay, overlay.length));
        List<?> hist = (List<?>) spec.get("class_histogram");
        int[] javaHist = MaskRenderer.histogram(imgClasses, imgClasses.length, meta.numClasses());
        for (int c = 0; c < meta.numClasses(); c++) {
            assertEquals(((Long) hist.get(c)).intValue(), javaHist[c]);
        }
    }

    // ---- helpers ----

    @SuppressWarnings("unchecked")
    private Map<String, Object> obj(String key) {
        Object v = spec.get(key);
        assertTrue("case.json lacks " + key, v instanceof Map);
        return (Map<String, Object>) v;
    }

    private static int[] rows(Map<String, Object> array) {
        List<?> r = (List<?>) array.get("rows");
        return new int[] {((Long) r.get(0)).intValue(), ((Long) r.get(1)).intValue()};
    }

    /** A stored array that must be complete (rows cover the first axis). */
    private byte[] fullArray(String key) throws IOException {
        Map<String, Object> a = obj(key);
        int[] r = rows(a);
        List<?> shape = (List<?>) a.get("shape");
        assertEquals(key + " must be stored whole", ((Long) shape.get(0)).intValue(), r[1] - r[0]);
        assertEquals(0, r[0]);
        byte[] data = gunzip(new File(dir, (String) a.get("file")));
        assertEquals(a.get("sha256"), sha256(data));
        return data;
    }

    /** Compares Java's full array with the stored band (element-wise) and the full array's SHA-256. */
    private void checkArray(String key, byte[] actual) throws IOException {
        Map<String, Object> a = obj(key);
        List<?> shape = (List<?>) a.get("shape");
        long elements = 1;
        for (Object d : shape) {
            elements *= (Long) d;
        }
        DataType t = DataType.fromJsonName((String) a.get("dtype"));
        assertEquals(key + " size", elements * t.bytes, actual.length);
        int[] r = rows(a);
        int rowBytes = (int) (actual.length / (Long) shape.get(0));
        byte[] band = gunzip(new File(dir, (String) a.get("file")));
        assertEquals((r[1] - r[0]) * rowBytes, band.length);
        for (int i = 0; i < band.length; i++) {
            if (band[i] != actual[r[0] * rowBytes + i]) {
                int at = r[0] * rowBytes + i;
                int element = at / t.bytes;
                fail(key + " differs from Python at element " + element + " (row " + at / rowBytes + ", byte "
                        + at % rowBytes + "): python byte " + (band[i] & 0xFF) + ", java " + (actual[at] & 0xFF));
            }
        }
        assertEquals(key + ": SHA-256 of the whole array differs from Python's", a.get("sha256"), sha256(actual));
    }

    static String read(File f) throws IOException {
        return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
    }

    static byte[] gunzip(File f) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(f.toPath()))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    static String sha256(byte[] data) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(data);
            StringBuilder sb = new StringBuilder();
            for (byte b : d) {
                sb.append(String.format("%02x", b & 0xFF));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

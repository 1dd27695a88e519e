package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import org.junit.Test;

public class SegmentationPipelineTest {
    /** A 3-class uint8 model with a 16x24 input: 0 = padding-ish/dark, 1 = red, 2 = blue. */
    static ModelMetadata model() {
        return ModelMetadata.parse("{\"format\": \"bisenetv2-tf/metadata\", \"version\": 1,"
                + "\"input\": {\"shape\": [1, 16, 24, 3], \"dtype\": \"uint8\", "
                + "\"quantization\": {\"scale\": 0.018729716539382935, \"zero_point\": 84}},"
                + "\"output\": {\"shape\": [1, 16, 24, 3], \"dtype\": \"uint8\", "
                + "\"quantization\": {\"scale\": 0.1, \"zero_point\": 0}, \"kind\": \"logits\"},"
                + "\"normalization\": {\"mean\": [0.3257, 0.369, 0.3223], \"std\": [0.2112, 0.2148, 0.2115]},"
                + "\"resize\": \"letterbox\", \"labels\": [\"dark\", \"red\", \"blue\"],"
                + "\"colors\": [[0, 0, 0], [255, 0, 0], [0, 0, 255]]}");
    }

    /** Classifies every input pixel by its quantized red/blue values; counts calls. */
    static final class FakeModel implements SegmentationPipeline.InferenceEngine {
        int calls;

        @Override
        public void run(ByteBuffer input, ByteBuffer output) {
            calls++;
            for (int i = 0; i < 16 * 24; i++) {
                int r = input.get(3 * i) & 0xFF;
                int b = input.get(3 * i + 2) & 0xFF;
                int cls = r > 200 ? 1 : b > 200 ? 2 : 0;
                for (int c = 0; c < 3; c++) {
                    output.put(3 * i + c, (byte) (c == cls ? 50 : 10));
                }
            }
        }
    }

    @Test
    public void rotatesLetterboxesAndMapsBack() throws Exception {
        // a 40 wide x 20 tall sensor frame: left half red, right half blue
        int w = 40;
        int h = 20;
        int[] frame = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                frame[y * w + x] = x < w / 2 ? 0xFFFF0000 : 0xFF0000FF;
            }
        }
        SegmentationPipeline pipeline = new SegmentationPipeline(model(), 128);
        FakeModel engine = new FakeModel();
        // rotate 90 clockwise: upright image is 20 wide x 40 tall, red on top, blue below
        SegmentationPipeline.Result r = pipeline.run(engine, frame, w, h, 90);
        assertEquals(1, engine.calls);
        assertEquals(20, r.imageWidth);
        assertEquals(40, r.imageHeight);
        // 40x20 into 16x24: r = min(0.4, 1.2) -> 16x8, columns 8..23 are padding
        assertEquals(16, r.letterbox.resizedHeight);
        assertEquals(8, r.letterbox.resizedWidth);
        assertEquals(8 * 16, r.maskArgb.length);
        int[] img = r.imageClassMap();
        assertEquals(20 * 40, img.length);
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 20; x++) {
                // bilinear blends the two halves over at most a couple of rows at the seam
                if (Math.abs(y - 20) > 2) {
                    assertEquals("y=" + y, y < 20 ? 1 : 2, img[y * 20 + x]);
                }
            }
        }
        // the padding columns are dark (class 0) in the model-size map, and not part of the histogram
        assertEquals(0, r.classMap[5 * 24 + 20]);
        int[] hist = r.histogram;
        assertEquals(16 * 8, hist[0] + hist[1] + hist[2]);
        assertTrue(hist[1] >= 7 * 8 && hist[2] >= 7 * 8);
        assertEquals(0x80FF0000, r.maskArgb[0]);
        assertEquals(0x800000FF, r.maskArgb[8 * 16 - 1]);
        assertTrue(r.inferenceNanos >= 0 && r.preprocessNanos >= 0 && r.postprocessNanos >= 0);
        assertTrue(r.totalMs() >= r.inferenceMs());
    }

    @Test
    public void noRotationKeepsOrientation() throws Exception {
        int[] frame = new int[24 * 16];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (i % 24) < 12 ? 0xFFFF0000 : 0xFF0000FF; // exact fit: no resize
        }
        SegmentationPipeline.Result r = new SegmentationPipeline(model(), 255).run(new FakeModel(), frame, 24, 16, 0);
        int[] expected = new int[24 * 16];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (i % 24) < 12 ? 1 : 2;
        }
        assertArrayEquals(expected, r.imageClassMap());
        assertArrayEquals(expected, r.classMap);
    }
}

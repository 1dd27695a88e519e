package org.bisenetv2tf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

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

    static int[] stripes(int w, int h) {
        int[] frame = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                frame[y * w + x] = x < w / 2 ? 0xFFFF0000 : (y < h / 3 ? 0xFF000000 : 0xFF0000FF);
            }
        }
        return frame;
    }

    @Test
    public void theLivePathGivesWhatRunGives() throws Exception {
        SegmentationPipeline pipeline = new SegmentationPipeline(model(), 128);
        FakeModel engine = new FakeModel();
        SegmentationPipeline.Slot slot = pipeline.newSlot();
        SegmentationPipeline.Result live = pipeline.newResult();
        int[][] sizes = {{40, 20}, {30, 30}, {24, 16}, {17, 41}};
        for (int[] sz : sizes) {
            for (int rot : new int[] {0, 90, 180, 270}) {
                int[] frame = stripes(sz[0], sz[1]);
                SegmentationPipeline.Result expected = pipeline.run(engine, frame, sz[0], sz[1], rot);
                pipeline.prepareArgb(slot, frame, sz[0], sz[1], rot, rot == 90);
                assertTrue(pipeline.infer(engine, slot, live) == live);
                String what = sz[0] + "x" + sz[1] + " rot " + rot;
                assertEquals(what, expected.imageWidth, live.imageWidth);
                assertEquals(what, expected.imageHeight, live.imageHeight);
                Letterbox lb = live.letterbox;
                int n = lb.resizedWidth * lb.resizedHeight;
                assertArrayEquals(what, expected.maskArgb, java.util.Arrays.copyOf(live.maskArgb, n));
                assertArrayEquals(what, expected.histogram, live.histogram);
                assertArrayEquals(what, expected.imageClassMap(), live.imageClassMap());
                for (int y = 0; y < live.mapHeight; y++) {
                    for (int x = 0; x < live.mapWidth; x++) {
                        int id = live.classMap[y * live.mapWidth + x];
                        assertEquals(what + " at " + y + "," + x, lb.isValid(x, y) ? expected.classMap[y * 24 + x] : -1,
                                id);
                    }
                }
                assertEquals(rot == 90, live.mirrored);
            }
        }
    }

    @Test
    public void yuvFramesGoThroughTheLivePathWithoutAllocating() throws Exception {
        final SegmentationPipeline pipeline = new SegmentationPipeline(model(), 128);
        final FakeModel engine = new FakeModel();
        final SegmentationPipeline.Slot slot = pipeline.newSlot();
        final SegmentationPipeline.Result live = pipeline.newResult();
        final int w = 40;
        final int h = 20;
        // grey I420 frame: Y = 128, U = V = 128
        final ByteBuffer y = ByteBuffer.allocateDirect(w * h);
        final ByteBuffer u = ByteBuffer.allocateDirect(w * h / 4);
        final ByteBuffer v = ByteBuffer.allocateDirect(w * h / 4);
        for (int i = 0; i < w * h; i++) {
            y.put(i, (byte) 128);
        }
        for (int i = 0; i < w * h / 4; i++) {
            u.put(i, (byte) 128);
            v.put(i, (byte) 128);
        }
        pipeline.prepareYuv(slot, y, w, 1, u, v, w / 2, 1, w, h, 90, false);
        pipeline.infer(engine, slot, live);
        assertEquals(20, live.imageWidth);
        assertEquals(40, live.imageHeight);
        assertEquals(16 * 8, live.histogram[0]); // grey is dark class 0 for the fake model
        assertTrue(live.convertNanos >= 0 && live.preprocessNanos >= 0);
        Allocation.assertNoneAfterWarmUp("prepareYuv + infer", new Runnable() {
            @Override
            public void run() {
                try {
                    pipeline.prepareYuv(slot, y, w, 1, u, v, w / 2, 1, w, h, 90, false);
                    pipeline.infer(engine, slot, live);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
    }

    @Test
    public void aSlotOfAnotherPipelineIsRefused() throws Exception {
        SegmentationPipeline a = new SegmentationPipeline(model(), 128);
        SegmentationPipeline b = new SegmentationPipeline(model(), 128);
        SegmentationPipeline.Slot slot = a.newSlot();
        assertSame(a, slot.owner());
        try {
            b.prepareArgb(slot, new int[4], 2, 2, 0, false);
            fail("prepared another pipeline's slot");
        } catch (IllegalArgumentException expected) {
            // a model change: the camera thread still held an old slot
        }
        try {
            a.infer(new FakeModel(), slot, a.newResult());
            fail("ran an unprepared slot");
        } catch (IllegalStateException expected) {
            // nothing was prepared in it
        }
    }
}

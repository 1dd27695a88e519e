package org.bisenetv2tf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Which classes the on-screen legend lists: those covering enough of the frame, largest first. */
public final class Legend {
    /** One legend line. */
    public static final class Entry {
        public final int classId;
        public final String label;
        /** 0xRRGGBB */
        public final int color;
        /** Share of the valid region's pixels, 0..1. */
        public final double fraction;

        Entry(int classId, String label, int color, double fraction) {
            this.classId = classId;
            this.label = label;
            this.color = color;
            this.fraction = fraction;
        }
    }

    private Legend() {
    }

    /**
     * Classes whose share of the pixels is at least {@code minFraction}, largest first (ties by
     * class id). With a null or empty histogram every class is listed in id order.
     */
    public static List<Entry> entries(List<String> labels, int[] rgbColors, int[] histogram, double minFraction) {
        List<Entry> out = new ArrayList<>();
        long total = 0;
        if (histogram != null) {
            for (int h : histogram) {
                total += h;
            }
        }
        if (total == 0) {
            for (int c = 0; c < labels.size(); c++) {
                out.add(new Entry(c, labels.get(c), rgbColors[c], 0.0));
            }
            return out;
        }
        for (int c = 0; c < labels.size() && c < histogram.length; c++) {
            double f = histogram[c] / (double) total;
            if (histogram[c] > 0 && f >= minFraction) {
                out.add(new Entry(c, labels.get(c), rgbColors[c], f));
            }
        }
        // an anonymous class, not a lambda: the APK's dexer does not desugar lambdas
        Collections.sort(out, new java.util.Comparator<Entry>() {
            @Override
            public int compare(Entry a, Entry b) {
                return a.fraction != b.fraction ? Double.compare(b.fraction, a.fraction)
                        : Integer.compare(a.classId, b.classId);
            }
        });
        return out;
    }
}

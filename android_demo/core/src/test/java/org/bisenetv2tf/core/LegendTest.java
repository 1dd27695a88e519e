package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class LegendTest {
    private static final List<String> LABELS = Arrays.asList("Sky", "Building", "Road", "Car");
    private static final int[] COLORS = {0x808080, 0x800000, 0x804080, 0x400080};

    @Test
    public void listsVisibleClassesLargestFirst() {
        List<Legend.Entry> e = Legend.entries(LABELS, COLORS, new int[] {300, 0, 600, 100}, 0.05);
        assertEquals(3, e.size());
        assertEquals("Road", e.get(0).label);
        assertEquals(0.6, e.get(0).fraction, 1e-12);
        assertEquals(0x804080, e.get(0).color);
        assertEquals("Sky", e.get(1).label);
        assertEquals("Car", e.get(2).label);
        // a threshold drops small classes; ties keep id order
        List<Legend.Entry> big = Legend.entries(LABELS, COLORS, new int[] {500, 500, 0, 1}, 0.01);
        assertEquals(2, big.size());
        assertEquals(0, big.get(0).classId);
        assertEquals(1, big.get(1).classId);
    }

    @Test
    public void withoutAFrameListsEveryClass() {
        List<Legend.Entry> e = Legend.entries(LABELS, COLORS, null, 0.1);
        assertEquals(4, e.size());
        assertEquals("Car", e.get(3).label);
        assertEquals(4, Legend.entries(LABELS, COLORS, new int[4], 0.1).size());
    }
}

package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.junit.Test;

public class ErrorThrottleTest {
    static final long S = 1_000_000_000L;

    @Test
    public void aRepeatedMessageIsShownOncePerIntervalWithItsCount() {
        ErrorThrottle t = new ErrorThrottle(10 * S);
        assertEquals("boom", t.admit("boom", 0));
        for (int i = 1; i <= 4; i++) {
            assertNull(t.admit("boom", i * S));
        }
        assertEquals("boom (repeated 5 times)", t.admit("boom", 10 * S));
        assertNull(t.admit("boom", 11 * S));
        assertEquals("another message is news", "bang", t.admit("bang", 12 * S));
        assertEquals("and so is the first one again", "boom", t.admit("boom", 13 * S));
        t.reset();
        assertEquals("boom", t.admit("boom", 14 * S));
    }
}

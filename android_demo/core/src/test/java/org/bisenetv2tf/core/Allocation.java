package org.bisenetv2tf.core;

import static org.junit.Assert.fail;

import java.lang.management.ManagementFactory;
import org.junit.Assume;

/** Bytes a thread allocates, from HotSpot's {@code com.sun.management.ThreadMXBean}. */
final class Allocation {
    private Allocation() {
    }

    static com.sun.management.ThreadMXBean bean() {
        java.lang.management.ThreadMXBean b = ManagementFactory.getThreadMXBean();
        Assume.assumeTrue("this JVM does not count allocated bytes", b instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) b;
        Assume.assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);
        return mx;
    }

    /** Bytes the current thread allocated while running {@code r} {@code times} times. */
    static long measure(Runnable r, int times) {
        com.sun.management.ThreadMXBean mx = bean();
        long id = Thread.currentThread().getId();
        long a = mx.getThreadAllocatedBytes(id);
        long probe = mx.getThreadAllocatedBytes(id) - a;
        long before = mx.getThreadAllocatedBytes(id);
        for (int i = 0; i < times; i++) {
            r.run();
        }
        return mx.getThreadAllocatedBytes(id) - before - probe;
    }

    /**
     * Requires {@code r} to allocate nothing per run once warm: after 300 runs (first-frame
     * set-up), some window of 60 runs out of five must allocate 0 bytes. Windows rather than
     * one: the JIT itself now and then allocates a hundred bytes or so on the running thread
     * (deoptimization rematerializes objects it had scalar-replaced; with {@code -Xint} the same
     * loops allocate nothing at all), while code that allocates per run fills every window.
     */
    static void assertNoneAfterWarmUp(String what, Runnable r) {
        measure(r, 300);
        long[] windows = new long[5];
        for (int i = 0; i < windows.length; i++) {
            windows[i] = measure(r, 60);
            if (windows[i] == 0) {
                return;
            }
        }
        fail(what + ": every window of 60 runs after warm-up allocated: " + java.util.Arrays.toString(windows)
                + " bytes");
    }
}

package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

public class TripleBufferTest {
    static final class Box {
        volatile long seq;
        volatile long check;
    }

    @Test
    public void theConsumerGetsTheNewestAndKeepsItUntilItAsksAgain() {
        Box a = new Box();
        Box b = new Box();
        Box c = new Box();
        TripleBuffer<Box> t = new TripleBuffer<Box>(a, b, c);
        assertNull("nothing published yet", t.latest());
        t.back().seq = 1;
        t.publish();
        t.back().seq = 2;
        t.publish();
        Box got = t.latest();
        assertEquals("the newest, not the first", 2, got.seq);
        assertSame("nothing newer: the same", got, t.latest());
        for (int i = 3; i < 20; i++) {
            assertNotSame("the producer never writes what the consumer holds", got, t.back());
            t.back().seq = i;
            t.publish();
        }
        assertEquals(2, got.seq);
        assertEquals(19, t.latest().seq);
    }

    @Test
    public void concurrentProducerAndConsumerNeverShareAnObject() throws Exception {
        final TripleBuffer<Box> t = new TripleBuffer<Box>(new Box(), new Box(), new Box());
        final AtomicReference<Throwable> failure = new AtomicReference<Throwable>();
        final int n = 200_000;
        Thread producer = new Thread(new Runnable() {
            @Override
            public void run() {
                for (long i = 1; i <= n; i++) {
                    Box b = t.back();
                    b.seq = i;
                    b.check = -i;
                    t.publish();
                }
            }
        });
        producer.start();
        long last = 0;
        while (last < n) {
            Box b = t.latest();
            if (b == null) {
                continue;
            }
            long seq = b.seq;
            Thread.yield();
            if (b.seq != seq || b.check != -seq) {
                failure.set(new AssertionError("frame " + seq + " changed while the consumer held it"));
                break;
            }
            assertTrue("never older than what was seen", seq >= last);
            last = seq;
        }
        producer.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(n, t.latest().seq);
    }
}

package org.bisenetv2tf.core;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands the newest of a stream of reusable objects from one producer thread to one consumer
 * thread without locks, copies or allocation: the producer writes {@link #back()} and
 * {@link #publish()}es it; the consumer takes {@link #latest()}, which stays its own (the
 * producer never writes it) until the consumer's next call. A consumer slower than the
 * producer skips frames; it never sees one being written.
 */
public final class TripleBuffer<T> {
    private static final int FRESH = 1 << 6;
    /** Bits 0-1: the producer's index, 2-3: the last published, 4-5: the consumer's; FRESH: 2-3 unread. */
    private final AtomicInteger state = new AtomicInteger(0 | (1 << 2) | (2 << 4));
    private final Object[] items;
    private boolean consumerHasOne;

    public TripleBuffer(T first, T second, T third) {
        items = new Object[] {first, second, third};
    }

    /** Producer: the object to fill (the same one until {@link #publish()}). */
    @SuppressWarnings("unchecked")
    public T back() {
        return (T) items[state.get() & 3];
    }

    /** Producer: the filled object becomes the newest; the producer gets another one to fill. */
    public void publish() {
        while (true) {
            int s = state.get();
            int back = s & 3;
            int pending = (s >> 2) & 3;
            int next = pending | (back << 2) | (s & (3 << 4)) | FRESH;
            if (state.compareAndSet(s, next)) {
                return;
            }
        }
    }

    /**
     * Consumer: the newest published object (null before the first publish). It is the
     * consumer's until its next call.
     */
    @SuppressWarnings("unchecked")
    public T latest() {
        while (true) {
            int s = state.get();
            if ((s & FRESH) == 0) {
                break;
            }
            int pending = (s >> 2) & 3;
            int front = (s >> 4) & 3;
            int next = (s & 3) | (front << 2) | (pending << 4);
            if (state.compareAndSet(s, next)) {
                consumerHasOne = true;
                break;
            }
        }
        return consumerHasOne ? (T) items[(state.get() >> 4) & 3] : null;
    }
}

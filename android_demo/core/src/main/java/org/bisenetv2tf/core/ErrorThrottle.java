package org.bisenetv2tf.core;

/**
 * Decides which error messages reach the user: a message is shown the first time, when it
 * differs from the last one shown, and otherwise at most once per interval, then saying how
 * many times it was repeated meanwhile. A failure that repeats every frame is one message,
 * not one toast per frame. Thread-safe.
 */
public final class ErrorThrottle {
    private final long intervalNanos;
    private String last;
    private long lastShownNanos;
    private int suppressed;

    public ErrorThrottle(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    /** The text to show now for {@code message} at time {@code nowNanos}, or null to stay quiet. */
    public synchronized String admit(String message, long nowNanos) {
        if (last != null && last.equals(message) && nowNanos - lastShownNanos < intervalNanos) {
            suppressed++;
            return null;
        }
        String text = last != null && last.equals(message) && suppressed > 0
                ? message + " (repeated " + (suppressed + 1) + " times)" : message;
        last = message;
        lastShownNanos = nowNanos;
        suppressed = 0;
        return text;
    }

    /** Forgets the last message (e.g. after a success): the next failure is shown at once. */
    public synchronized void reset() {
        last = null;
        suppressed = 0;
    }
}

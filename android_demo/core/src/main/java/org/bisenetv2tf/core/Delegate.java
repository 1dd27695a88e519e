package org.bisenetv2tf.core;

/** Where the interpreter runs the model. */
public enum Delegate {
    /** XNNPACK on the CPU, with a user-chosen thread count; runs the INT8 model. */
    CPU("CPU (XNNPACK)"),
    /** The LiteRT GPU delegate; runs the FP16 model (float I/O, half-precision weights). */
    GPU("GPU"),
    /** Android NNAPI; runs the INT8 model. Deprecated from Android 15 (API 35). */
    NNAPI("NNAPI");

    /** API level of Android 15, where NNAPI is deprecated. */
    public static final int ANDROID_15 = 35;

    public final String label;

    Delegate(String label) {
        this.label = label;
    }

    /** True when this delegate is deprecated on a device with this API level. */
    public boolean isDeprecatedOn(int sdkInt) {
        return this == NNAPI && sdkInt >= ANDROID_15;
    }

    /** The UI label, with a deprecation note where it applies. */
    public String labelFor(int sdkInt) {
        return isDeprecatedOn(sdkInt) ? label + " (deprecated on Android 15+)" : label;
    }
}

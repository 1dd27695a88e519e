package org.bisenetv2tf.core;

/** Tensor element types that appear in the metadata ({@code numpy.dtype(...).name}). */
public enum DataType {
    UINT8("uint8", 1),
    INT8("int8", 1),
    FLOAT32("float32", 4),
    INT32("int32", 4),
    INT64("int64", 8);

    /** The name the metadata JSON uses. */
    public final String jsonName;
    /** Bytes per element. */
    public final int bytes;

    DataType(String jsonName, int bytes) {
        this.jsonName = jsonName;
        this.bytes = bytes;
    }

    /** Quantizable 8-bit types: the value range a quantized tensor is clamped to. */
    public int minValue() {
        switch (this) {
            case UINT8: return 0;
            case INT8: return -128;
            default: throw new IllegalStateException(jsonName + " is not an 8-bit type");
        }
    }

    public int maxValue() {
        switch (this) {
            case UINT8: return 255;
            case INT8: return 127;
            default: throw new IllegalStateException(jsonName + " is not an 8-bit type");
        }
    }

    public boolean isQuantized8() {
        return this == UINT8 || this == INT8;
    }

    /** The type with this metadata name, or null when unknown. */
    public static DataType fromJsonName(String name) {
        for (DataType t : values()) {
            if (t.jsonName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}

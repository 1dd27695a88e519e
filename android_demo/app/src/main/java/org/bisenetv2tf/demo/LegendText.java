package org.bisenetv2tf.demo;

import android.graphics.Color;
import android.text.SpannableStringBuilder;
import android.text.Spanned;
import android.text.style.ForegroundColorSpan;
import java.util.List;
import java.util.Locale;
import org.bisenetv2tf.core.Legend;
import org.bisenetv2tf.core.ModelMetadata;

/** The class legend as coloured text: "■ Road 41%  ■ Sky 20% …". */
final class LegendText {
    /** Classes under this share of the frame are left out. */
    static final double MIN_FRACTION = 0.005;

    private LegendText() {
    }

    static CharSequence build(ModelMetadata meta, int[] histogram) {
        List<Legend.Entry> entries = Legend.entries(meta.labels(), meta.colors(), histogram, MIN_FRACTION);
        SpannableStringBuilder sb = new SpannableStringBuilder();
        for (Legend.Entry e : entries) {
            if (sb.length() > 0) {
                sb.append("   ");
            }
            int start = sb.length();
            sb.append("\u25A0");
            sb.setSpan(new ForegroundColorSpan(Color.rgb((e.color >> 16) & 0xFF, (e.color >> 8) & 0xFF, e.color & 0xFF)),
                    start, sb.length(), Spanned.SPAN_EXCLUSIVE_EXCLUSIVE);
            sb.append(' ').append(e.label);
            if (e.fraction > 0) {
                sb.append(String.format(Locale.US, " %.0f%%", 100 * e.fraction));
            }
        }
        return sb;
    }

    /** "GPU · bisenetv2_fp16 · 23.1 ms median, 25.0 ms p90 · 31.2 FPS" */
    static String status(SegmentationController.Frame f) {
        String threads = f.model.delegate == org.bisenetv2tf.core.Delegate.CPU ? " ×" + f.model.threads : "";
        String model = f.model.modelFile.replace(".tflite", "");
        String timing = f.isStill()
                ? String.format(Locale.US, "%.1f ms inference, %.1f ms total", f.result.inferenceMs(), f.result.totalMs())
                : String.format(Locale.US,
                        "%.1f ms median, %.1f ms p90 inference · %.1f FPS · %.1f ms pre+post · %d dropped",
                        f.stats.medianMs, f.stats.p90Ms, f.stats.fps,
                        (f.result.convertNanos + f.result.preprocessNanos + f.result.postprocessNanos) / 1e6,
                        f.dropped);
        return f.model.delegate.label + threads + " · " + model + " · " + timing;
    }
}

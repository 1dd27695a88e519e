package org.bisenetv2tf.demo;

import android.app.Application;
import androidx.annotation.NonNull;
import androidx.lifecycle.AndroidViewModel;
import org.bisenetv2tf.core.Delegate;

/** Keeps one {@link SegmentationHelper} (and its loaded model) across configuration changes. */
public final class SegmenterViewModel extends AndroidViewModel {
    private final SegmentationHelper helper;

    public SegmenterViewModel(@NonNull Application application) {
        super(application);
        helper = new SegmentationHelper(application);
        helper.configure(Delegate.CPU, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    public SegmentationHelper helper() {
        return helper;
    }

    @Override
    protected void onCleared() {
        helper.close();
    }
}

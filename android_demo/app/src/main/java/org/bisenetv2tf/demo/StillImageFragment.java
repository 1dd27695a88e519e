package org.bisenetv2tf.demo;

import android.graphics.Bitmap;
import android.net.Uri;
import android.os.Bundle;
import android.view.LayoutInflater;
import android.view.View;
import android.view.ViewGroup;
import android.widget.ImageView;
import android.widget.TextView;
import androidx.activity.result.ActivityResultLauncher;
import androidx.activity.result.PickVisualMediaRequest;
import androidx.activity.result.contract.ActivityResultContracts;
import androidx.annotation.NonNull;
import androidx.annotation.Nullable;
import androidx.fragment.app.Fragment;
import androidx.lifecycle.ViewModelProvider;

/** Photo mode: pick a picture, show it and its segmentation side by side. */
public final class StillImageFragment extends Fragment implements SegmentationHelper.Listener {
    private static final int MAX_SIDE = 1280;

    private SegmentationHelper helper;
    private ImageView original;
    private ImageView segmented;
    private TextView status;
    private TextView legend;

    private final ActivityResultLauncher<PickVisualMediaRequest> picker = registerForActivityResult(
            new ActivityResultContracts.PickVisualMedia(), this::segment);

    @Nullable
    @Override
    public View onCreateView(@NonNull LayoutInflater inflater, @Nullable ViewGroup container,
                             @Nullable Bundle savedInstanceState) {
        return inflater.inflate(R.layout.fragment_still, container, false);
    }

    @Override
    public void onViewCreated(@NonNull View view, @Nullable Bundle savedInstanceState) {
        helper = new ViewModelProvider(requireActivity()).get(SegmenterViewModel.class).helper();
        original = view.findViewById(R.id.original);
        segmented = view.findViewById(R.id.segmented);
        status = view.findViewById(R.id.status);
        legend = view.findViewById(R.id.legend);
        view.findViewById(R.id.pick).setOnClickListener(v -> picker.launch(new PickVisualMediaRequest.Builder()
                .setMediaType(ActivityResultContracts.PickVisualMedia.ImageOnly.INSTANCE)
                .build()));
    }

    @Override
    public void onResume() {
        super.onResume();
        helper.addListener(this);
    }

    @Override
    public void onPause() {
        helper.removeListener(this);
        super.onPause();
    }

    private void segment(@Nullable Uri uri) {
        if (uri == null) {
            return;
        }
        status.setText(R.string.segmenting);
        android.content.ContentResolver resolver = requireContext().getContentResolver();
        helper.segmentStill(() -> ImageLoader.load(resolver, uri, MAX_SIDE));
    }

    @Override
    public void onResult(SegmentationHelper.Frame f) {
        if (!f.isStill() || getView() == null) {
            return;
        }
        original.setImageBitmap(f.picture);
        segmented.setImageBitmap(Bitmap.createBitmap(f.blendedArgb, f.result.imageWidth, f.result.imageHeight,
                Bitmap.Config.ARGB_8888));
        status.setText(LegendText.status(f));
        legend.setText(LegendText.build(f.model.metadata, f.result.histogram));
    }

    @Override
    public void onModelReady(SegmentationHelper.ModelInfo info) {
        status.setText(getString(R.string.model_info, info.modelFile, info.delegate.label));
    }

    @Override
    public void onError(String message) {
        status.setText(message);
    }
}

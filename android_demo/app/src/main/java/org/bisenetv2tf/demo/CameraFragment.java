package org.bisenetv2tf.demo;

import android.Manifest;
import android.content.pm.PackageManager;
import android.graphics.Bitmap;
import android.os.Bundle;
import android.util.Log;
import android.view.LayoutInflater;
import android.view.View;
import android.view.ViewGroup;
import android.widget.TextView;
import androidx.activity.result.ActivityResultLauncher;
import androidx.activity.result.contract.ActivityResultContracts;
import androidx.annotation.NonNull;
import androidx.annotation.Nullable;
import androidx.camera.core.CameraSelector;
import androidx.camera.core.ImageAnalysis;
import androidx.camera.core.ImageProxy;
import androidx.camera.core.Preview;
import androidx.camera.core.resolutionselector.AspectRatioStrategy;
import androidx.camera.core.resolutionselector.ResolutionSelector;
import androidx.camera.lifecycle.ProcessCameraProvider;
import androidx.camera.view.PreviewView;
import androidx.core.content.ContextCompat;
import androidx.fragment.app.Fragment;
import androidx.lifecycle.ViewModelProvider;
import com.google.common.util.concurrent.ListenableFuture;

/** Live mode: camera preview with the mask, legend, latency and FPS drawn over it. */
public final class CameraFragment extends Fragment implements SegmentationHelper.Listener {
    private static final String TAG = "CameraFragment";

    private SegmentationHelper helper;
    private PreviewView previewView;
    private OverlayView overlay;
    private TextView status;
    private TextView legend;
    private ProcessCameraProvider cameraProvider;
    private int[] pixels; // analyzer thread only

    private final ActivityResultLauncher<String> permission = registerForActivityResult(
            new ActivityResultContracts.RequestPermission(), granted -> {
                if (granted) {
                    startCamera();
                } else {
                    status.setText(R.string.camera_permission_denied);
                }
            });

    @Nullable
    @Override
    public View onCreateView(@NonNull LayoutInflater inflater, @Nullable ViewGroup container,
                             @Nullable Bundle savedInstanceState) {
        return inflater.inflate(R.layout.fragment_camera, container, false);
    }

    @Override
    public void onViewCreated(@NonNull View view, @Nullable Bundle savedInstanceState) {
        helper = new ViewModelProvider(requireActivity()).get(SegmenterViewModel.class).helper();
        previewView = view.findViewById(R.id.preview);
        previewView.setScaleType(PreviewView.ScaleType.FIT_CENTER);
        overlay = view.findViewById(R.id.overlay);
        status = view.findViewById(R.id.status);
        legend = view.findViewById(R.id.legend);
        status.setText(R.string.loading_model);
        if (ContextCompat.checkSelfPermission(requireContext(), Manifest.permission.CAMERA)
                == PackageManager.PERMISSION_GRANTED) {
            startCamera();
        } else {
            permission.launch(Manifest.permission.CAMERA);
        }
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

    private void startCamera() {
        ListenableFuture<ProcessCameraProvider> future = ProcessCameraProvider.getInstance(requireContext());
        future.addListener(() -> {
            try {
                cameraProvider = future.get();
                bindUseCases();
            } catch (Exception e) {
                Log.e(TAG, "camera unavailable", e);
                status.setText("Camera unavailable: " + e.getMessage());
            }
        }, ContextCompat.getMainExecutor(requireContext()));
    }

    private void bindUseCases() {
        if (cameraProvider == null || getView() == null) {
            return;
        }
        // The same 4:3 aspect for preview and analysis, so the analysed frame is what is shown.
        ResolutionSelector fourByThree = new ResolutionSelector.Builder()
                .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                .build();
        Preview preview = new Preview.Builder().setResolutionSelector(fourByThree).build();
        preview.setSurfaceProvider(previewView.getSurfaceProvider());
        ImageAnalysis analysis = new ImageAnalysis.Builder()
                .setResolutionSelector(fourByThree)
                // back-pressure: drop frames while the model runs, never queue them
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
                .build();
        analysis.setAnalyzer(helper.executor(), this::analyze);
        cameraProvider.unbindAll();
        cameraProvider.bindToLifecycle(getViewLifecycleOwner(), CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis);
    }

    /** Runs on the helper's worker thread. */
    private void analyze(@NonNull ImageProxy image) {
        try {
            Bitmap frame = image.toBitmap(); // sensor orientation; the pipeline rotates it upright
            int w = frame.getWidth();
            int h = frame.getHeight();
            if (pixels == null || pixels.length != w * h) {
                pixels = new int[w * h];
            }
            frame.getPixels(pixels, 0, w, 0, 0, w, h);
            helper.segmentFrame(pixels, w, h, image.getImageInfo().getRotationDegrees());
        } finally {
            image.close();
        }
    }

    @Override
    public void onResult(SegmentationHelper.Frame f) {
        if (f.isStill() || getView() == null) {
            return;
        }
        overlay.setMask(f.result.maskArgb, f.result.letterbox.resizedWidth, f.result.letterbox.resizedHeight,
                f.result.imageWidth, f.result.imageHeight);
        status.setText(LegendText.status(f));
        legend.setText(LegendText.build(f.model.metadata, f.result.histogram));
    }

    @Override
    public void onModelReady(SegmentationHelper.ModelInfo info) {
        overlay.clear();
        legend.setText(LegendText.build(info.metadata, null));
        status.setText(getString(R.string.model_info, info.modelFile, info.delegate.label));
    }

    @Override
    public void onError(String message) {
        status.setText(message);
    }

    @Override
    public void onDestroyView() {
        if (cameraProvider != null) {
            cameraProvider.unbindAll();
        }
        super.onDestroyView();
    }
}

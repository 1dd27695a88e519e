package org.bisenetv2tf.demo;

import android.os.Build;
import android.os.Bundle;
import android.view.View;
import android.widget.AdapterView;
import android.widget.ArrayAdapter;
import android.widget.RadioGroup;
import android.widget.SeekBar;
import android.widget.Spinner;
import android.widget.TextView;
import android.widget.Toast;
import androidx.appcompat.app.AppCompatActivity;
import androidx.fragment.app.Fragment;
import androidx.lifecycle.ViewModelProvider;
import org.bisenetv2tf.core.Delegate;

/** Mode switch (live / photo) and the delegate and thread controls; the helper does the work. */
public final class MainActivity extends AppCompatActivity implements SegmentationHelper.Listener {
    private SegmentationHelper helper;
    private Spinner delegateSpinner;
    private SeekBar threadsBar;
    private TextView threadsLabel;
    private TextView note;
    private String fallbackMessage;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);
        helper = new ViewModelProvider(this).get(SegmenterViewModel.class).helper();
        note = findViewById(R.id.note);
        threadsLabel = findViewById(R.id.threads_label);
        threadsBar = findViewById(R.id.threads);
        delegateSpinner = findViewById(R.id.delegate);

        Delegate[] delegates = Delegate.values();
        String[] labels = new String[delegates.length];
        for (int i = 0; i < delegates.length; i++) {
            labels[i] = delegates[i].labelFor(Build.VERSION.SDK_INT);
        }
        ArrayAdapter<String> adapter = new ArrayAdapter<>(this, android.R.layout.simple_spinner_item, labels);
        adapter.setDropDownViewResource(android.R.layout.simple_spinner_dropdown_item);
        delegateSpinner.setAdapter(adapter);
        delegateSpinner.setSelection(helper.delegate().ordinal(), false);
        delegateSpinner.setOnItemSelectedListener(new AdapterView.OnItemSelectedListener() {
            @Override
            public void onItemSelected(AdapterView<?> parent, View view, int position, long id) {
                if (delegates[position] != helper.delegate()) {
                    fallbackMessage = null;
                }
                helper.configure(delegates[position], helper.threads());
                updateControls();
            }

            @Override
            public void onNothingSelected(AdapterView<?> parent) {
            }
        });

        int cores = Runtime.getRuntime().availableProcessors();
        threadsBar.setMax(Math.max(0, cores - 1)); // progress 0..cores-1 -> 1..cores threads
        threadsBar.setProgress(helper.threads() - 1);
        threadsBar.setOnSeekBarChangeListener(new SeekBar.OnSeekBarChangeListener() {
            @Override
            public void onProgressChanged(SeekBar seekBar, int progress, boolean fromUser) {
                threadsLabel.setText(getString(R.string.threads, progress + 1));
            }

            @Override
            public void onStartTrackingTouch(SeekBar seekBar) {
            }

            @Override
            public void onStopTrackingTouch(SeekBar seekBar) {
                helper.configure(helper.delegate(), seekBar.getProgress() + 1);
            }
        });

        RadioGroup mode = findViewById(R.id.mode);
        mode.setOnCheckedChangeListener((group, checkedId) ->
                show(checkedId == R.id.mode_photo ? new StillImageFragment() : new CameraFragment()));
        if (savedInstanceState == null) {
            show(new CameraFragment());
        }
        updateControls();
    }

    private void show(Fragment fragment) {
        getSupportFragmentManager().beginTransaction().replace(R.id.content, fragment).commit();
    }

    @Override
    protected void onStart() {
        super.onStart();
        helper.addListener(this);
    }

    @Override
    protected void onStop() {
        helper.removeListener(this);
        super.onStop();
    }

    private void updateControls() {
        Delegate d = helper.delegate();
        threadsLabel.setText(getString(R.string.threads, helper.threads()));
        threadsBar.setEnabled(d == Delegate.CPU); // XNNPACK threads; GPU/NNAPI ignore it
        StringBuilder text = new StringBuilder();
        if (fallbackMessage != null) {
            text.append(fallbackMessage);
        }
        if (Delegate.values()[delegateSpinner.getSelectedItemPosition()].isDeprecatedOn(Build.VERSION.SDK_INT)) {
            text.append(text.length() > 0 ? "\n" : "").append(getString(R.string.nnapi_deprecated));
        }
        note.setText(text);
        note.setVisibility(text.length() > 0 ? View.VISIBLE : View.GONE);
    }

    @Override
    public void onModelReady(SegmentationHelper.ModelInfo info) {
        if (delegateSpinner.getSelectedItemPosition() != info.delegate.ordinal()) {
            delegateSpinner.setSelection(info.delegate.ordinal(), false);
        }
        updateControls();
    }

    @Override
    public void onFallback(String message) {
        fallbackMessage = message;
        Toast.makeText(this, message, Toast.LENGTH_LONG).show();
        updateControls();
    }

    @Override
    public void onError(String message) {
        Toast.makeText(this, message, Toast.LENGTH_LONG).show();
    }
}

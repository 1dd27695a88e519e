package org.bisenetv2tf.demo;

import android.content.Context;
import android.graphics.Bitmap;
import android.graphics.Canvas;
import android.graphics.Matrix;
import android.graphics.Paint;
import android.util.AttributeSet;
import android.view.View;
import org.bisenetv2tf.core.ViewGeometry;

/**
 * Draws the translucent class mask over the camera preview. The mask is the letterbox's valid
 * region at model resolution (e.g. 288x384), which is the whole upright frame: a small bitmap,
 * reused from frame to frame, that the canvas scales with a {@link Matrix} (nearest, no
 * filtering: the same nearest mapping as the core's inverse letterbox) onto where the
 * TextureView shows the frame (fit-centred, the transform {@link CameraSource} gives the
 * preview). A front camera's mask is mirrored like its preview. Nothing is rebuilt at screen
 * size.
 */
public final class OverlayView extends View {
    private final Paint paint = new Paint();
    private final Matrix matrix = new Matrix();
    private Bitmap mask;
    private int maskWidth;
    private int maskHeight;
    private int imageWidth;
    private int imageHeight;
    private boolean mirrored;

    public OverlayView(Context context, AttributeSet attrs) {
        super(context, attrs);
        paint.setFilterBitmap(false);
        paint.setAntiAlias(false);
    }

    /**
     * {@code argb}: a maskWidth x maskHeight mask (rows maskWidth apart) for an upright
     * imageWidth x imageHeight frame; {@code mirrored}: draw it mirrored (front camera).
     * Copies the pixels: the array may be reused after this returns.
     */
    public void setMask(int[] argb, int maskWidth, int maskHeight, int imageWidth, int imageHeight,
                        boolean mirrored) {
        if (mask == null || mask.getWidth() != maskWidth || mask.getHeight() != maskHeight) {
            mask = Bitmap.createBitmap(maskWidth, maskHeight, Bitmap.Config.ARGB_8888);
        }
        mask.setPixels(argb, 0, maskWidth, 0, 0, maskWidth, maskHeight);
        this.maskWidth = maskWidth;
        this.maskHeight = maskHeight;
        this.imageWidth = imageWidth;
        this.imageHeight = imageHeight;
        this.mirrored = mirrored;
        invalidate();
    }

    public void clear() {
        mask = null;
        invalidate();
    }

    /**
     * Mask pixels -> view pixels: the mask stretched over the fit-centred frame
     * ({@link ViewGeometry#fitCenter}, computed here without allocating), mirrored about its
     * centre for a front camera.
     */
    Matrix maskMatrix(Matrix out) {
        int vw = getWidth();
        int vh = getHeight();
        float s = Math.min((float) vw / imageWidth, (float) vh / imageHeight);
        float w = imageWidth * s;
        float h = imageHeight * s;
        float left = (vw - w) / 2f;
        float top = (vh - h) / 2f;
        out.setScale(w / maskWidth, h / maskHeight);
        out.postTranslate(left, top);
        if (mirrored) {
            out.postScale(-1, 1, left + w / 2f, 0);
        }
        return out;
    }

    @Override
    protected void onDraw(Canvas canvas) {
        super.onDraw(canvas);
        if (mask == null || imageWidth == 0 || imageHeight == 0) {
            return;
        }
        canvas.drawBitmap(mask, maskMatrix(matrix), paint);
    }
}

package org.bisenetv2tf.demo;

import android.content.Context;
import android.graphics.Bitmap;
import android.graphics.Canvas;
import android.graphics.Paint;
import android.graphics.RectF;
import android.util.AttributeSet;
import android.view.View;
import org.bisenetv2tf.core.ViewGeometry;

/**
 * Draws the translucent class mask over the camera preview. The mask covers the letterbox's
 * valid region, which is the whole upright frame, so it is stretched (nearest, no filtering:
 * the same nearest mapping as the core's inverse letterbox) onto where the TextureView shows the
 * frame: fit-centred, the transform {@link CameraSource} gives the preview.
 */
public final class OverlayView extends View {
    private final Paint paint = new Paint();
    private final RectF dst = new RectF();
    private Bitmap mask;
    private int imageWidth;
    private int imageHeight;

    public OverlayView(Context context, AttributeSet attrs) {
        super(context, attrs);
        paint.setFilterBitmap(false);
        paint.setAntiAlias(false);
    }

    /** {@code argb}: maskWidth x maskHeight mask for an upright imageWidth x imageHeight frame. */
    public void setMask(int[] argb, int maskWidth, int maskHeight, int imageWidth, int imageHeight) {
        if (mask == null || mask.getWidth() != maskWidth || mask.getHeight() != maskHeight) {
            mask = Bitmap.createBitmap(maskWidth, maskHeight, Bitmap.Config.ARGB_8888);
        }
        mask.setPixels(argb, 0, maskWidth, 0, 0, maskWidth, maskHeight);
        this.imageWidth = imageWidth;
        this.imageHeight = imageHeight;
        invalidate();
    }

    public void clear() {
        mask = null;
        invalidate();
    }

    @Override
    protected void onDraw(Canvas canvas) {
        super.onDraw(canvas);
        if (mask == null || imageWidth == 0 || imageHeight == 0) {
            return;
        }
        float[] r = ViewGeometry.fitCenter(imageWidth, imageHeight, getWidth(), getHeight());
        dst.set(r[0], r[1], r[2], r[3]);
        canvas.drawBitmap(mask, null, dst, paint);
    }
}

package org.bisenetv2tf.demo;

import android.content.ContentResolver;
import android.graphics.Bitmap;
import android.graphics.BitmapFactory;
import android.graphics.Matrix;
import android.net.Uri;
import android.media.ExifInterface;
import java.io.IOException;
import java.io.InputStream;
import org.bisenetv2tf.core.ImageOps;

/**
 * Decodes a picked picture upright (EXIF orientation applied), at most {@code maxSide} pixels
 * on its longer side: decoded with the largest power-of-two sample size that keeps it at least
 * that large, then scaled down (filtered) to exactly {@code maxSide}.
 */
final class ImageLoader {
    private ImageLoader() {
    }

    static Bitmap load(ContentResolver resolver, Uri uri, int maxSide) throws IOException {
        BitmapFactory.Options bounds = new BitmapFactory.Options();
        bounds.inJustDecodeBounds = true;
        try (InputStream in = resolver.openInputStream(uri)) {
            BitmapFactory.decodeStream(in, null, bounds);
        }
        if (bounds.outWidth <= 0 || bounds.outHeight <= 0) {
            throw new IOException("not an image: " + uri);
        }
        BitmapFactory.Options opts = new BitmapFactory.Options();
        opts.inSampleSize = ImageOps.decodeSampleSize(bounds.outWidth, bounds.outHeight, maxSide);
        opts.inPreferredConfig = Bitmap.Config.ARGB_8888;
        Bitmap bitmap;
        try (InputStream in = resolver.openInputStream(uri)) {
            bitmap = BitmapFactory.decodeStream(in, null, opts);
        }
        if (bitmap == null) {
            throw new IOException("could not decode " + uri);
        }
        int[] fit = ImageOps.fitWithin(bitmap.getWidth(), bitmap.getHeight(), maxSide);
        if (fit[0] != bitmap.getWidth() || fit[1] != bitmap.getHeight()) {
            Bitmap scaled = Bitmap.createScaledBitmap(bitmap, fit[0], fit[1], true);
            if (scaled != bitmap) {
                bitmap.recycle();
            }
            bitmap = scaled;
        }
        int orientation;
        try (InputStream in = resolver.openInputStream(uri)) {
            orientation = new ExifInterface(in).getAttributeInt(ExifInterface.TAG_ORIENTATION,
                    ExifInterface.ORIENTATION_NORMAL);
        }
        Matrix m = new Matrix();
        switch (orientation) {
            case ExifInterface.ORIENTATION_ROTATE_90: m.postRotate(90); break;
            case ExifInterface.ORIENTATION_ROTATE_180: m.postRotate(180); break;
            case ExifInterface.ORIENTATION_ROTATE_270: m.postRotate(270); break;
            case ExifInterface.ORIENTATION_FLIP_HORIZONTAL: m.postScale(-1, 1); break;
            case ExifInterface.ORIENTATION_FLIP_VERTICAL: m.postScale(1, -1); break;
            case ExifInterface.ORIENTATION_TRANSPOSE: m.postRotate(90); m.postScale(-1, 1); break;
            case ExifInterface.ORIENTATION_TRANSVERSE: m.postRotate(270); m.postScale(-1, 1); break;
            default: break;
        }
        Bitmap upright = m.isIdentity() ? bitmap
                : Bitmap.createBitmap(bitmap, 0, 0, bitmap.getWidth(), bitmap.getHeight(), m, true);
        return upright.getConfig() == Bitmap.Config.ARGB_8888 ? upright : upright.copy(Bitmap.Config.ARGB_8888, false);
    }
}

"""Per-class pixel statistics of a dataset's labels (for class-balanced losses)."""
import concurrent.futures

import numpy as np

from bisenetv2_tf.data.datasets import DatasetError, read_label


def class_pixel_counts(spec, workers=2):
    """Pixel counts over every label of ``spec``, ignore id excluded.

    Returns ``(pixels, image_pixels)``, two int64 arrays of ``spec.num_classes``:
    ``pixels[c]`` counts the pixels labelled c; ``image_pixels[c]`` counts every valid
    pixel of the images in which c occurs (the denominator of median-frequency
    balancing, Eigen & Fergus 2015). Raises ``DatasetError`` naming a label with
    ids outside 0..num_classes-1.
    """
    k = spec.num_classes

    def one(path):
        ids = read_label(spec, path)
        valid = ids[ids != spec.ignore_index]
        if valid.size and (valid.min() < 0 or valid.max() >= k):
            raise DatasetError(f"label {path} has class ids outside 0..{k - 1} (ignore id {spec.ignore_index})")
        return np.bincount(valid.ravel(), minlength=k).astype(np.int64), valid.size

    pixels = np.zeros(k, np.int64)
    image_pixels = np.zeros(k, np.int64)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for counts, total in pool.map(one, spec.label_paths):
            pixels += counts
            image_pixels += np.where(counts > 0, total, 0)
    return pixels, image_pixels


def median_frequency_weights(pixels, image_pixels, power=1.0):
    """Median-frequency balancing (SegNet's CamVid weights): ``w_c = (median(f) / f_c) ** power``
    with ``f_c = pixels[c] / image_pixels[c]`` (power 0.5: a milder lift). Classes that
    never occur get weight 0 (they have no pixels to weigh) and are left out of the median."""
    pixels = np.asarray(pixels, np.float64)
    image_pixels = np.asarray(image_pixels, np.float64)
    present = pixels > 0
    if not present.any():
        raise DatasetError("no labelled pixels: cannot compute class weights")
    freq = np.where(present, pixels / np.maximum(image_pixels, 1), 0.0)
    median = np.median(freq[present])
    return np.where(present, (median / np.where(present, freq, 1.0)) ** power, 0.0)

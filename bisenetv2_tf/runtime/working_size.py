"""The size an image is predicted at: its own, or its longer side capped at ``max_side``
(``--max-side``). Importable without TensorFlow, so the command lines show the default in
``--help`` before anything heavy loads; ``predictors.bounded_class_map`` applies it."""

DEFAULT_MAX_SIDE = 2048  # longer image side predicted at (Cityscapes' 2048x1024 fits)


def working_hw(image_hw, max_side=DEFAULT_MAX_SIDE):
    """The (h, w) an image of ``image_hw`` is predicted at: its own size, or for a longer
    side above ``max_side`` (0 or None: no cap) that longer side scaled to ``max_side``."""
    h, w = image_hw
    if not max_side or max(h, w) <= max_side:
        return h, w
    r = max_side / max(h, w)
    return max(1, min(max_side, round(h * r))), max(1, min(max_side, round(w * r)))

"""Parameter and multiply-accumulate (MAC) counts per block, from a static-shape model."""
import collections

import numpy as np
import tf_keras as keras


def layer_macs(layer):
    """MACs of one Conv2D / DepthwiseConv2D layer (0 for every other layer)."""
    if not isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
        return 0
    _, out_h, out_w, out_c = layer.output_shape
    kh, kw = layer.kernel_size
    if isinstance(layer, keras.layers.DepthwiseConv2D):  # not a Conv2D subclass in tf_keras
        return int(out_h * out_w * kh * kw * out_c)
    in_c = layer.input_shape[-1]
    return int(out_h * out_w * kh * kw * in_c * out_c // layer.groups)


def count_params(model):
    """(trainable, non-trainable) parameter counts; BN moving statistics are non-trainable."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return trainable, frozen


def block_of(layer_name, depth):
    """``segment.S3.0.conv1.conv`` -> ``segment`` (depth 1) or ``segment.S3`` (depth 2)."""
    return ".".join(layer_name.split(".")[:depth])


def per_block(model, depth=2):
    """Ordered {block: {"params": trainable params, "macs": conv MACs}}."""
    blocks = collections.OrderedDict()
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        entry = blocks.setdefault(block_of(layer.name, depth), {"params": 0, "macs": 0})
        entry["params"] += sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
        entry["macs"] += layer_macs(layer)
    return blocks


def total_macs(model):
    return sum(layer_macs(layer) for layer in model.layers)


def summary_lines(train, infer, depth=2):
    """Markdown tables of a training model (with aux heads) and its inference model:
    parameters, MACs per block (block names ``depth`` deep) and the training outputs."""
    t_train, f_train = count_params(train)
    t_infer, f_infer = count_params(infer)
    lines = [
        "| | trainable params | BN moving stats | total |",
        "|---|---:|---:|---:|",
        f"| training model (with aux heads) | {t_train:,} | {f_train:,} | {t_train + f_train:,} |",
        f"| inference model | {t_infer:,} | {f_infer:,} | {t_infer + f_infer:,} |",
        "",
        "| block | params | GMACs |",
        "|---|---:|---:|",
    ]
    lines += [f"| {block} | {entry['params']:,} | {entry['macs'] / 1e9:.3f} |"
              for block, entry in per_block(train, depth).items() if entry["params"] or entry["macs"]]
    lines += [
        f"| **inference total** | {t_infer:,} | {total_macs(infer) / 1e9:.3f} |",
        f"| **training total** | {t_train:,} | {total_macs(train) / 1e9:.3f} |",
        "",
        "| output | shape | dtype |",
        "|---|---|---|",
    ]
    lines += [f"| {out} | {tuple(tensor.shape)} | {tensor.dtype.name} |"
              for out, tensor in zip(train.output_names, train.outputs)]
    return lines

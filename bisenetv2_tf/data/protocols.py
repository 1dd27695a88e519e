"""Evaluation protocols: which frames a model trains on and which it is scored on.

CamVid's val split comes from drive 0016E5, which also gives 204 of the 367 train
frames, so val mIoU tells how a model does on a drive it has seen. The
``drive-holdout`` protocol holds one whole drive out instead: it trains on every
train+val frame of the other drives and scores on the held-out drive (0006R0, 101
frames), the nearest thing to CamVid's unseen test drive (Seq05VD) that this data
allows. A CamVid file name starts with its drive (``0006R0_f01830.png``).

  train on: train + val minus drive 0006R0   (0001TP 62, 0016E5 305 = 367 frames)
  score on: drive 0006R0                      (101 frames, all from train/)
"""
import dataclasses
import os

from bisenetv2_tf.data import datasets


@dataclasses.dataclass(frozen=True)
class Protocol:
    name: str
    dataset: str  # the layout it applies to
    pool: tuple  # splits pooled before the drive is held out
    held_out_drive: str
    summary: str


PROTOCOLS = {
    "drive-holdout": Protocol(
        name="drive-holdout", dataset="camvid", pool=("train", "val"), held_out_drive="0006R0",
        summary="train on CamVid train+val minus drive 0006R0, score on 0006R0 (a drive the model never saw)"),
}


def drive_of(path):
    """A CamVid frame's drive: its file name up to the first underscore."""
    return os.path.basename(path).split("_", 1)[0]


def _concat(specs):
    first = specs[0]
    return dataclasses.replace(first, image_paths=sum((s.image_paths for s in specs), ()),
                               label_paths=sum((s.label_paths for s in specs), ()))


def protocol_specs(name, dataset, data_dir, class_file=None):
    """``(train spec, held-out spec)`` of protocol ``name`` on ``data_dir``.

    ``DatasetError`` (one line) for an unknown protocol, another layout, or a folder
    with no frame of the held-out drive or nothing left to train on.
    """
    if name not in PROTOCOLS:
        raise datasets.DatasetError(f"unknown --protocol {name!r}: use {', '.join(PROTOCOLS)}")
    protocol = PROTOCOLS[name]
    if dataset != protocol.dataset:
        raise datasets.DatasetError(f"--protocol {name} is defined for --dataset {protocol.dataset}, "
                                    f"not {dataset}")
    pool = _concat([datasets.load_spec(dataset, data_dir, split, class_file) for split in protocol.pool])
    held = [i for i, path in enumerate(pool.image_paths) if drive_of(path) == protocol.held_out_drive]
    kept = [i for i, path in enumerate(pool.image_paths) if drive_of(path) != protocol.held_out_drive]
    where = " + ".join(os.path.join(data_dir, s) for s in protocol.pool)
    if not held:
        raise datasets.DatasetError(f"--protocol {name}: no frame of drive {protocol.held_out_drive} in {where}")
    if not kept:
        raise datasets.DatasetError(f"--protocol {name}: every frame in {where} is from drive "
                                    f"{protocol.held_out_drive}; nothing is left to train on")
    return pool.subset(kept), pool.subset(held)


def drive_counts(spec):
    """{drive: number of frames} of a spec, in first-seen order (for logs and model cards)."""
    counts = {}
    for path in spec.image_paths:
        counts[drive_of(path)] = counts.get(drive_of(path), 0) + 1
    return counts

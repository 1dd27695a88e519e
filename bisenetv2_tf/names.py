"""The one table of model names; builders, CLIs and the checkpoint importer read it.

Each row: ``name`` is what ``--model NAME`` takes on every CLI, ``variant`` the
``--variant`` shorthand (``summary``, ``import_torch``) and also the key of
``model.VARIANTS`` for the V2 family, ``keras_name`` the ``Model.name`` of the built
model. This module imports nothing heavy, so any module can read it.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class ModelName:
    name: str
    variant: str
    keras_name: str


BISENETV2 = ModelName("bisenetv2", "v2", "bisenetv2")
BISENETV2_L = ModelName("bisenetv2-l", "v2-l", "bisenetv2_l")
BISENETV1 = ModelName("bisenetv1", "v1", "bisenetv1")

MODELS = (BISENETV2, BISENETV2_L, BISENETV1)
MODEL_NAMES = tuple(m.name for m in MODELS)
VARIANT_TO_MODEL = {m.variant: m.name for m in MODELS}


def by_name(name):
    """The row whose ``name`` is ``name``; ValueError listing the names otherwise."""
    for m in MODELS:
        if m.name == name:
            return m
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def variants_help():
    """'v2 = bisenetv2, v2-l = bisenetv2-l, v1 = bisenetv1' for --variant help texts."""
    return ", ".join(f"{m.variant} = {m.name}" for m in MODELS)

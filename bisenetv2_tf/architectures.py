"""The one registry of architectures: for each, its names (``names.py``: CLI name,
``--variant`` shorthand, Keras model name), its spec (the architecture as data), its
builder and its aux heads. Builders, the checkpoint importer, summary, import and
conversion read it; adding an architecture is adding one entry here.
"""
import dataclasses
from typing import Callable

from bisenetv2_tf import names
from bisenetv2_tf.bisenetv1 import BISENETV1_SPEC, bisenetv1
from bisenetv2_tf.model import BISENETV2_L_SPEC, BISENETV2_SPEC, bisenetv2


@dataclasses.dataclass(frozen=True)
class Architecture:
    names: names.ModelName
    spec: object  # BiSeNetV2Spec or BiSeNetV1Spec
    builder: Callable  # builder(num_classes, input_shape, aux_heads, output, batch_size, name, spec)

    @property
    def name(self):
        return self.names.name

    @property
    def keras_name(self):
        return self.names.keras_name

    @property
    def aux_outputs(self):
        """The training model's aux output names, in output order."""
        return tuple(head[0] for head in self.spec.aux_heads)

    @property
    def aux_prefixes(self):
        """The PyTorch module prefixes of the aux heads (``aux2.``, ``conv_out16.``): keys an
        inference model may ignore when importing a training checkpoint."""
        return tuple(f"{module}." for module in self.spec.aux_modules)

    def build(self, num_classes, input_shape=(None, None, 3), aux_heads=True, output="logits", batch_size=None,
              name=None):
        return self.builder(num_classes, input_shape, aux_heads, output, batch_size, name or self.keras_name,
                            self.spec)


def _v2(num_classes, input_shape, aux_heads, output, batch_size, name, spec):
    return bisenetv2(num_classes, input_shape, spec, aux_heads, output, batch_size, name)


def _v1(num_classes, input_shape, aux_heads, output, batch_size, name, spec):
    return bisenetv1(num_classes, input_shape, aux_heads, output, batch_size, name, spec)


REGISTRY = (
    Architecture(names.BISENETV2, BISENETV2_SPEC, _v2),
    Architecture(names.BISENETV2_L, BISENETV2_L_SPEC, _v2),
    Architecture(names.BISENETV1, BISENETV1_SPEC, _v1),
)


def get(name):
    """The entry whose CLI name, ``--variant`` shorthand or Keras model name is ``name``;
    ValueError listing the names otherwise."""
    for arch in REGISTRY:
        if name in (arch.name, arch.names.variant, arch.keras_name):
            return arch
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(a.name for a in REGISTRY)}")


AUX_PREFIXES = tuple(dict.fromkeys(p for arch in REGISTRY for p in arch.aux_prefixes))

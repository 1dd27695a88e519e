"""Aux losses at each head's own resolution (``--aux-resolution own``).

Every aux head ends in a weightless bilinear ``UpSampling2D`` to the input size, and
its loss is a cross-entropy over every full-resolution pixel: the largest single
kernel of a training step. ``own_resolution_aux`` rewires the training model so each
aux output is the head's logits before that upsampling (1/2 to 1/16 of the input);
the loss then scores them against labels resized to that size (nearest), as
``losses.ohem_cross_entropy`` does whenever the shapes differ. The main output is
untouched, no weight is added or dropped, and the inference model is the same.
"""
import tf_keras as keras


def own_resolution_aux(model):
    """A model over the same layers whose aux outputs (all but the first) skip their
    final ``UpSampling2D``; each keeps its output name and is float32."""
    outputs = [model.outputs[0]]
    for name in model.output_names[1:]:
        up = model.get_layer(name)
        if not isinstance(up, keras.layers.UpSampling2D):
            raise ValueError(f"aux output {name} does not end in an UpSampling2D ({type(up).__name__})")
        outputs.append(keras.layers.Activation("linear", dtype="float32", name=name)(up.input))
    return keras.Model(model.inputs, outputs, name=model.name)

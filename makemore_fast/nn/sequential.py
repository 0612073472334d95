"""Sequential: the lecture's container, with fused execution of Linear -> BatchNorm1d -> Tanh."""
import numpy as np

from .fused import FusedRun, plan
from ..constants import SATURATION_THRESHOLD
from .layers import Embedding, Layer, Linear, Tanh, layer_from_config
from .whole_steps import WholeSteps
from ..validation import float_dtype


class Sequential:
    """Layers applied in order: `model(x)` forward, `model.backward(dlogits)` back.

    As in the lecture, `.layers` is the list of layers, `.out` the last output
    and `parameters()` lists every layer's parameters in order (the embedding
    table C first when the first layer is an Embedding).

    With `fuse=True` (the default) each run Linear -> BatchNorm1d -> Tanh (and
    Linear -> BatchNorm1d, Linear -> Tanh, Linear) goes through one fused
    kernel call per pass; the layers' `.out`, Tanh's `.out_grad` and the
    gradients are the same as layer by layer (`fuse=False`) up to rounding.
    The plan follows `.layers`: editing the list is picked up on the next call.

    `vocab` (a `makemore_fast.data.Vocab` or None) travels with the model into
    checkpoints and lets `sample` decode.
    """

    def __init__(self, layers, *, fuse=True):
        self.layers = list(layers)
        self.fuse = bool(fuse)
        self.vocab = None
        self.out = None
        self._planned = None    # the layer list the current plan was made for
        self._steps = None
        self._check_layers()
        self._name_parameters()

    # -- running ---------------------------------------------------------------

    def __call__(self, x):
        for step in self._plan():
            x = step(x)
        self.out = x
        return x

    def backward(self, dout):
        """Backpropagate dout (the gradient of the last output, e.g. dlogits).

        Adds into every parameter's `.grad` and returns the gradient for the
        input (None when the first layer is an Embedding).
        """
        steps = self._plan()
        for k in range(len(steps) - 1, -1, -1):
            dout = steps[k].backward(dout)
            if dout is None and k > 0:
                raise ValueError("cannot backpropagate past an Embedding that is not "
                                 "the first layer")
        return dout

    def infer(self, x):
        """Eval-mode forward that records nothing: running statistics, the
        layers' `.out` and the backward caches stay as they are."""
        for step in self._plan():
            x = step.infer(x)
        return x

    def folded(self):
        """An eval-mode forward, x -> output, with each BatchNorm1d folded into
        the Linear before it: one matrix product, bias and tanh per fused run.

        The folded weights are computed now from the current parameters and
        running statistics, and the function keeps them: take a new one after
        changing the model (`sample` and `split_loss` take one per call).  It
        records nothing, as `infer`, and agrees with `infer` up to float
        rounding.  With `fuse=False` nothing is folded: it runs `infer`'s steps.
        """
        steps = [step.folded() if isinstance(step, FusedRun) else step.infer
                 for step in self._plan()]

        def forward(x):
            for step in steps:
                x = step(x)
            return x
        return forward

    def whole_steps(self, X, Y, batch_size):
        """Training steps of this model in one C call each, or None.

        A `WholeSteps` whose `run(rows, rates, losses, ratios=None, helper=None)` makes
        len(rows) SGD steps on the examples X[rows[s]], Y[rows[s]] with rates
        rates[s], bit-identical to the same steps through the layers (see
        `ops.TrainSteps`); None when the model is not a fused Embedding ->
        Linear [-> BatchNorm1d] [-> Tanh] ... stack in training mode.
        """
        if not self.fuse:
            return None
        return WholeSteps.build(self._plan(), X, Y, batch_size)

    def _plan(self):
        if self._planned != self.layers:             # identity-first list compare: cheap
            self._check_layers()
            self._name_parameters()
            self._steps = plan(self.layers) if self.fuse else list(self.layers)
            self._planned = list(self.layers)
        return self._steps

    # -- parameters and modes ------------------------------------------------------

    def parameters(self):
        """Every layer's Parameters, layer by layer, in the lecture's order."""
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self):
        """(name, Parameter) pairs, names as "layers.{index}.{attribute}"."""
        return [(f"layers.{i}.{name}", p) for i, layer in enumerate(self.layers)
                for name, p in layer.named_parameters()]

    def track_stats(self, enabled=True, saturation=SATURATION_THRESHOLD):
        """Accumulate every Tanh layer's activation and gradient statistics at
        every step, from zero (the fused kernels add them in C while the data
        is in cache); read them with makemore_fast.diagnostics.tracked_stats.
        `enabled=False` stops. Returns self."""
        for layer in self.layers:
            if isinstance(layer, Tanh):
                layer.track_stats(enabled, saturation)
        return self

    def zero_grad(self):
        """Forget the accumulated gradients (each `.grad` becomes None, as torch)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        """Set every layer's `.training` (BatchNorm: batch statistics); returns self."""
        for layer in self.layers:
            layer.training = bool(mode)
        return self

    def eval(self):
        """Set every layer to eval mode (BatchNorm: running statistics); returns self."""
        return self.train(False)

    @property
    def training(self):
        """True when any layer is in training mode."""
        return any(layer.training for layer in self.layers)

    @training.setter
    def training(self, mode):
        self.train(mode)

    # -- description and state ---------------------------------------------------

    @property
    def dtype(self):
        """The parameters' float dtype."""
        params = self.parameters()
        return params[0].data.dtype if params else np.dtype(np.float32)

    @property
    def block_size(self):
        """The context length T an Embedding-first model expects, or None.

        Read from the first Linear after the Embedding: fan_in = T * embedding_dim.
        """
        if not self.layers or not isinstance(self.layers[0], Embedding):
            return None
        E = self.layers[0].embedding_dim
        for layer in self.layers[1:]:
            if isinstance(layer, Linear):
                return layer.fan_in // E if layer.fan_in % E == 0 else None
        return None

    @property
    def config(self):
        """The architecture as a JSON-able dict: {"dtype", "layers": [layer configs]}."""
        return {"dtype": self.dtype.name, "layers": [layer.config for layer in self.layers]}

    @classmethod
    def from_config(cls, config):
        """A freshly initialised Sequential with the architecture `config` describes."""
        dtype = float_dtype(config["dtype"])
        return cls([layer_from_config(spec, dtype) for spec in config["layers"]])

    def state_dict(self):
        """Copies of all parameters and buffers, as {"layers.{i}.{name}": ndarray}."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        for i, layer in enumerate(self.layers):
            for name, buf in layer.buffers().items():
                state[f"layers.{i}.{name}"] = np.array(buf, copy=True)
        return state

    def load_state_dict(self, state):
        """Copy `state` (as from state_dict()) into the model, in place.

        The keys must match exactly and each shape must match; values are
        cast to the model's dtype.  Raises ValueError, changing nothing, if not.
        """
        targets = dict(self.named_parameters())
        buffers = {f"layers.{i}.{name}": (layer, name)
                   for i, layer in enumerate(self.layers) for name in layer.buffers()}
        missing = sorted((set(targets) | set(buffers)) - set(state))
        unexpected = sorted(set(state) - set(targets) - set(buffers))
        if missing or unexpected:
            raise ValueError(f"state does not match the model: missing keys {missing}, "
                             f"unexpected keys {unexpected}")
        arrays = {key: np.asarray(value) for key, value in state.items()}
        for key, p in targets.items():
            if arrays[key].shape != p.data.shape:
                raise ValueError(f"{key} has shape {arrays[key].shape}, the model's is "
                                 f"{p.data.shape}")
        for key, (layer, name) in buffers.items():
            expected = np.shape(layer.buffers()[name])
            if arrays[key].shape != expected:
                raise ValueError(f"{key} has shape {arrays[key].shape}, expected {expected}")
        for key, p in targets.items():
            p.data[...] = arrays[key]
        for key, (layer, name) in buffers.items():
            if name == "num_batches_tracked":
                layer.num_batches_tracked = int(arrays[key])
            else:
                getattr(layer, name)[...] = arrays[key]

    def _check_layers(self):
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] is a {type(layer).__name__}, not a "
                                f"makemore_fast.nn.Layer (subclass it for a custom layer)")
        dtypes = {p.data.dtype for p in self.parameters()}
        if len(dtypes) > 1:
            raise TypeError(f"the layers mix dtypes {sorted(d.name for d in dtypes)}")

    def _name_parameters(self):
        for name, p in self.named_parameters():
            p.name = name

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        return self.layers[index]

    def __repr__(self):
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"Sequential([\n{inner}\n])"

"""`Config`: one experiment of the lecture, as a frozen value; `grid` and `preset`.

A Config says everything a run depends on (architecture, initialisation,
training, seed, dtype), so the same Config gives the same run anywhere.  Its
defaults are `lecture_mlp`'s net and `train`'s schedule (seed 42).

The initialisation fields follow the lecture's first half:

- `w1_scale` / `w2_scale`: None for the principled init (hidden Linears:
  Kaiming, N(0, 1) * gain / sqrt(fan_in); output Linear: see below), or the
  notebook's hand-picked factor: the first hidden (output) Linear's weight is
  N(0, 1) * w1_scale (w2_scale), the notebook's `torch.randn(...) * 0.2`.
- `b1_scale` / `b2_scale`: None for a zero bias (or no bias: hidden Linears
  have none under BatchNorm, the output Linear none under an output
  BatchNorm), or N(0, 1) * scale for b1 (b2); 0 gives zeros.
- `output_scale`: the output layer's confidence, the lecture's "make the
  last layer less confident": the output BatchNorm's gamma is multiplied by
  it, or, without one (and without w2_scale), the output Linear's weight.

`batchnorm` puts a BatchNorm1d after every Linear, the output one too, as in
the lecture's deep net; `output_batchnorm=False` keeps it off the output (the
first half's single-layer BatchNorm net).  `bn_momentum` is the running
statistics' momentum (the notebook's first-half net: 0.001).
"""
import dataclasses
import hashlib
import itertools
import json
import math
import numbers
from dataclasses import dataclass

_DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Config:
    """One run: net, init, training schedule, seed.  Frozen, hashable, equal by
    value, picklable; `to_json()` / `Config.from_json()` round-trip it."""
    name: str = "lecture_mlp"
    n_layers: int = 5
    n_hidden: int = 100
    n_embd: int = 10
    block_size: int = 3
    batchnorm: bool = True
    output_batchnorm: bool = None      # None: as batchnorm
    bn_momentum: float = 0.1
    unbiased: bool = False             # BatchNorm's variance: the lecture notebook's 1/(B-1)
    gain: float = 5 / 3
    output_scale: float = 0.1
    w1_scale: float = None
    b1_scale: float = None
    w2_scale: float = None
    b2_scale: float = None
    steps: int = 200_000
    batch_size: int = 32
    lr: float = 0.1
    lr_decay_step: int = 150_000
    decayed_lr: float = 0.01
    seed: int = 42
    dtype: str = "float32"
    data: str = None                   # None: the bundled names

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen)
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        for key, low in (("n_layers", 0), ("n_hidden", 1), ("n_embd", 1), ("block_size", 1),
                         ("steps", 0), ("batch_size", 1), ("lr_decay_step", 0), ("seed", 0)):
            set_(key, _integer(getattr(self, key), key, low))
        for key in ("batchnorm", "unbiased"):
            set_(key, _boolean(getattr(self, key), key))
        if self.output_batchnorm is not None:
            set_("output_batchnorm", _boolean(self.output_batchnorm, "output_batchnorm"))
        for key in ("gain", "output_scale", "lr", "decayed_lr"):
            set_(key, _number(getattr(self, key), key, positive=True))
        set_("bn_momentum", _number(self.bn_momentum, "bn_momentum", positive=True))
        if self.bn_momentum > 1:
            raise ValueError(f"bn_momentum must be in (0, 1], got {self.bn_momentum!r}")
        for key in ("w1_scale", "b1_scale", "w2_scale", "b2_scale"):
            if getattr(self, key) is not None:
                set_(key, _number(getattr(self, key), key, positive=False))
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {_DTYPES}, got {self.dtype!r}")
        if self.data is not None and not isinstance(self.data, str):
            raise ValueError(f"data must be None or a path string, got {self.data!r}")
        self._check_combinations()

    def _check_combinations(self):
        if self.batchnorm and self.batch_size < 2:
            raise ValueError(f"batch_size must be >= 2 with batchnorm (batch statistics "
                             f"need two examples), got {self.batch_size}")
        if self.n_layers == 0 and (self.w1_scale is not None or self.b1_scale is not None):
            raise ValueError("w1_scale and b1_scale need n_layers >= 1 (there is no W1)")
        if self.b1_scale is not None and self.batchnorm:
            raise ValueError("b1_scale: the hidden Linears have no bias under batchnorm "
                             "(BatchNorm's beta makes it redundant)")
        if self.b2_scale is not None and self.has_output_batchnorm:
            raise ValueError("b2_scale: the output Linear has no bias under an output "
                             "BatchNorm (set output_batchnorm=False)")

    @property
    def has_output_batchnorm(self):
        """True when a BatchNorm1d follows the output Linear."""
        return self.batchnorm if self.output_batchnorm is None else self.output_batchnorm

    # -- serialisation ------------------------------------------------------
    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        """The Config of `d`; an unknown key raises TypeError naming it."""
        if not isinstance(d, dict):
            raise TypeError(f"a Config is read from a dict, got {type(d).__name__}")
        unknown = sorted(set(d) - set(FIELDS))
        if unknown:
            raise TypeError(f"unknown Config field {unknown[0]!r}")
        return cls(**d)

    def to_json(self):
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        return cls.from_dict(json.loads(text))

    def replace(self, **changes):
        """A copy with `changes`; an unknown field raises TypeError naming it."""
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise TypeError(f"unknown Config field {unknown[0]!r}")
        return dataclasses.replace(self, **changes)

    @property
    def key(self):
        """A short stable id of every field (the name too): the resume store's file name."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


FIELDS = tuple(f.name for f in dataclasses.fields(Config))


def with_steps(config, steps):
    """`config` trained for `steps` steps, its learning-rate decay at the same
    fraction of the run (the lecture's 100k of 200k stays at half way)."""
    old = config.steps
    steps = _integer(steps, "steps", 0)
    decay = round(config.lr_decay_step * steps / old) if old else config.lr_decay_step
    return config.replace(steps=steps, lr_decay_step=decay)


def grid(base, **axes):
    """The cartesian product of `axes` over `base`, the first axis outermost.

    grid(Config(), gain=[0.5, 1, 5/3, 3], batchnorm=[False, True]) is 8
    configs named "gain=0.5 batchnorm=False", ... (prefixed by base's name
    when it is not the default one).
    """
    if not isinstance(base, Config):
        raise TypeError(f"base must be a Config, got {type(base).__name__}")
    for key, values in axes.items():
        if key not in FIELDS:
            raise TypeError(f"unknown Config field {key!r}")
        if key == "name":
            raise ValueError("name cannot be an axis: names are made from the axes")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"axis {key} must be a list of values, got {values!r}")
        if len(list(values)) == 0:
            raise ValueError(f"axis {key} has no values")
    keys = list(axes)
    prefix = "" if base.name == Config.name else f"{base.name} "
    configs = []
    for combo in itertools.product(*(list(axes[k]) for k in keys)):
        label = " ".join(f"{k}={format_value(v)}" for k, v in zip(keys, combo))
        changes = dict(zip(keys, combo))
        if "steps" in changes:
            configs.append(with_steps(base, changes.pop("steps")).replace(
                name=(prefix + label) or base.name, **changes))
        else:
            configs.append(base.replace(name=(prefix + label) or base.name, **changes))
    return configs


def format_value(v):
    """A short label for a field's value: 5/3 -> 1.667, 1.0 -> 1."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


# -- presets -----------------------------------------------------------------

# The notebook's first-half net: Embedding 27x10, Linear 30->200 (b1), tanh,
# Linear 200->27 (b2), lr 0.1 then 0.01 from step 100k, 200k steps.
_FIRST_HALF = dict(n_layers=1, n_hidden=200, batchnorm=False, steps=200_000,
                   lr_decay_step=100_000)

# Its loss log: (name, changes), in the notebook's order.
_LOSS_LOG = (
    ("original", dict(w1_scale=1.0, b1_scale=1.0, w2_scale=1.0, b2_scale=1.0)),
    ("fix softmax confidently wrong", dict(w1_scale=1.0, b1_scale=1.0, w2_scale=0.01,
                                           b2_scale=0.0)),
    ("fix tanh layer too saturated at init", dict(w1_scale=0.2, b1_scale=0.01,
                                                  w2_scale=0.01, b2_scale=0.0)),
    ("use semi-principled kaiming init", dict(b1_scale=0.01, w2_scale=0.01, b2_scale=0.0)),
    ("add batch norm layer", dict(batchnorm=True, output_batchnorm=False, bn_momentum=0.001,
                                  w2_scale=0.01, b2_scale=0.0)),
)

# The notebook's figures for those five runs: (train, val).
LECTURE_LOSS_LOG = {
    "original": (2.1245, 2.1682),
    "fix softmax confidently wrong": (2.07, 2.13),
    "fix tanh layer too saturated at init": (2.0356, 2.1027),
    "use semi-principled kaiming init": (2.0377, 2.1070),
    "add batch norm layer": (2.0668, 2.1048),
}

GAINS = (0.5, 1.0, 5 / 3, 3.0)


def _lecture_init():
    return [Config(name=name, **{**_FIRST_HALF, **changes}) for name, changes in _LOSS_LOG]


def _lecture_gains():
    # The lecture looked at its views after 1,000 steps (its `break`).
    return grid(Config(steps=1000), batchnorm=[False, True], gain=list(GAINS))


def _lecture_deep():
    return [Config(name="lecture deep net")]


PRESETS = {"lecture-init": _lecture_init, "lecture-gains": _lecture_gains,
           "lecture-deep": _lecture_deep}


def preset(name):
    """The configs of a named comparison: "lecture-init", "lecture-gains", "lecture-deep"."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of {sorted(PRESETS)}")
    return PRESETS[name]()


# -- validation --------------------------------------------------------------

def _integer(value, name, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _boolean(value, name):
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}")


def _number(value, name, positive):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        want = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return value

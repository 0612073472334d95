"""Inputs for the property tests (test_properties*.py).

Hypothesis draws the *description* of an input: shapes, dtype, memory layout,
magnitudes, a seed, where to put inf/NaN/zero. NumPy builds the arrays from
it. Large arrays stay cheap to make, and a failing case shrinks to small
shapes, seed 0 and few special values.

Magnitudes: an array's values are standard normal times 10**e, e drawn
uniformly in [top - spread, top] per element ("tiny to huge"). The ranges
keep every intermediate of the kernels and of the reference inside the
dtype's normal range: the tops of arrays that multiply each other sum to at
most the range's limit (no overflow), and the limit is small enough that no
factor underflows before it is scaled back up. So where a result is inf or
NaN, the maths makes it so, not rounding. Cases with inf/NaN use a moderate
range (inf times a product that underflowed to 0 is NaN, times the same
product grouped otherwise inf); embeddings only copy and add, so their values
span the dtype's whole range, subnormals included.
"""
from types import SimpleNamespace

import numpy as np
from hypothesis import strategies as st

from makemore_fast import ops

DTYPES = (np.float32, np.float64)
# (largest top, spreads) per regime and dtype
RANGES = {"arithmetic": {np.float32: (6, (0, 2, 6)), np.float64: (90, (0, 2, 6))},
          "with specials": {np.float32: (3, (0, 2)), np.float64: (30, (0, 2))},
          "copies": {np.float32: (36, (0, 8, 40)), np.float64: (300, (0, 8, 300))}}
LAYOUTS = ("C", "F", "strided", "reversed", "byteswapped")
SPECIALS = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "0": 0.0, "-0": -0.0}
ANY = tuple(SPECIALS)

dims = st.integers(1, 300)
dtypes = st.sampled_from(DTYPES)
layouts = st.sampled_from(LAYOUTS)
seeds = st.integers(0, 2**32 - 1)


class Case(SimpleNamespace):
    """Arrays built from a drawn description; its repr is the description only."""

    def __init__(self, description, **arrays):
        super().__init__(**arrays)
        self.description = description

    def __repr__(self):
        return f"Case({self.description})"


def tops(draw, limit, names, budget=()):
    """A top exponent per name in [-limit, limit]; each pair in `budget` sums to
    at most limit."""
    top = {name: draw(st.integers(-limit, limit)) for name in names}
    for first, second in budget:
        top[second] = min(top[second], limit - top[first])
    return top


def magnitudes(rng, shape, dtype, top, spread):
    """Standard normal times 10**e, e uniform in [top - spread, top] per element."""
    exponent = top - spread * rng.random(shape)
    return (rng.standard_normal(shape) * np.exp(np.log(10.0) * exponent)).astype(dtype)


def specials(allowed):
    """Up to 3 (array name, position, kind) with kind in allowed[array name]."""
    def entry(name):
        return st.tuples(st.just(name), st.integers(0, 2**31), st.sampled_from(allowed[name]))
    return st.lists(st.sampled_from(sorted(allowed)).flatmap(entry), max_size=3)


def put_specials(arrays, entries):
    """Write each special value at position % size of its array."""
    for name, position, kind in entries:
        a = arrays[name]
        a.flat[position % a.size] = SPECIALS[kind]


def in_layout(a, kind):
    """A copy of `a` as a C, Fortran, strided, negatively strided or byte-swapped array."""
    if a is None:
        return None
    if kind == "C":
        return a.copy()
    if kind == "F":
        return np.asfortranarray(a)
    if kind == "strided":
        big = np.zeros(tuple(2 * n + 1 for n in a.shape), a.dtype)
        view = big[(slice(1, None, 2),) * a.ndim]
        view[...] = a
        return view
    if kind == "reversed":
        flip = (slice(None, None, -1),) * a.ndim
        return a[flip].copy()[flip]
    return a.astype(a.dtype.newbyteorder("S"))


def index_dtypes(limit):
    """Integer dtypes that can hold 0..limit-1."""
    candidates = (np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint16, np.uint8)
    return st.sampled_from([t for t in candidates if np.iinfo(t).max >= limit - 1])


# ---------------------------------------------------------------------------
# one strategy per op: a Case with native C arrays (for the reference) and
# `laid_out`, the same values in the drawn layouts (for ops)

def _build(draw, dtype, shapes, budget=(), allowed=None, positive=(), copies=False):
    """Draw specials (kinds `allowed` per name, default ANY), magnitudes in the
    range they call for, a seed and layouts; build the arrays of `shapes`
    (None: no array)."""
    names = [n for n, shape in shapes.items() if shape is not None]
    allowed = {n: (allowed or {}).get(n, ANY) for n in names}
    d = {"specials": draw(specials({n: kinds for n, kinds in allowed.items() if kinds}))}
    d["range"] = "copies" if copies else "with specials" if d["specials"] else "arithmetic"
    limit, spreads = RANGES[d["range"]][dtype]
    d.update(tops=tops(draw, limit, names, budget), spread=draw(st.sampled_from(spreads)),
             seed=draw(seeds), layouts={n: draw(layouts) for n in names})
    rng = np.random.default_rng(d["seed"])
    arrays = {n: None for n in shapes}
    for n in names:
        arrays[n] = magnitudes(rng, shapes[n], dtype, d["tops"][n], d["spread"])
        if n in positive:
            np.abs(arrays[n], out=arrays[n])
    return d, arrays, rng


def _laid_out(d, arrays):
    return {n: in_layout(a, d["layouts"].get(n, "C")) for n, a in arrays.items()}


@st.composite
def embedding_cases(draw, max_dim=300, max_size=2**18):
    """table (V, E), idx (B, T) with B*T*E <= max_size, dout (B, T*E)."""
    n = st.integers(1, max_dim)
    dtype, V, E, T, B = draw(dtypes), draw(n), draw(n), draw(n), draw(n)
    B = min(B, max(1, max_size // (T * E)))
    rows = draw(st.sampled_from((1, 2, V)))          # few rows: many repeated indices
    d, arrays, rng = _build(draw, dtype, {"table": (V, E), "dout": (B, T * E)}, copies=True)
    put_specials(arrays, d["specials"])
    idx = rng.integers(0, min(rows, V), (B, T)).astype(draw(index_dtypes(V)))
    d.update(dtype=dtype.__name__, V=V, E=E, T=T, B=B, rows=rows, idx=idx.dtype.name,
             idx_layout=draw(layouts))
    return Case(d, dtype=dtype, V=V, idx=idx, laid_out_idx=in_layout(idx, d["idx_layout"]),
                laid_out=_laid_out(d, arrays), **arrays)


@st.composite
def linear_cases(draw, max_dim=300):
    """x (B, K), weight (K, N), bias (N,) or None, dout (B, N), activation."""
    n = st.integers(1, max_dim)
    dtype, B, K, N = draw(dtypes), draw(n), draw(n), draw(n)
    bias, activation = draw(st.booleans()), draw(st.sampled_from(("tanh", None)))
    shapes = {"x": (B, K), "weight": (K, N), "bias": (N,) if bias else None, "dout": (B, N)}
    d, arrays, _ = _build(draw, dtype, shapes, budget=[("x", "weight")])
    put_specials(arrays, d["specials"])
    d.update(dtype=dtype.__name__, B=B, K=K, N=N, activation=activation)
    return Case(d, dtype=dtype, activation=activation, laid_out=_laid_out(d, arrays),
                **arrays)


# Specials whose effect the maths settles whatever the rounding: an infinite
# gamma times an xhat near 0 has a rounding-dependent sign, so gamma gets no
# inf; running_var is a variance (>= 0).
BLOCK_SPECIALS = {"x": ANY, "weight": ANY, "bias": ANY, "beta": ANY, "running_mean": ANY,
                  "dout": ANY, "gamma": ("nan", "0", "-0"), "running_var": ("nan", "inf", "0")}


@st.composite
def block_cases(draw, max_dim=300):
    """The Linear -> BatchNorm1d (-> tanh) block: x (B, K), weight (K, N), gamma,
    beta, running_mean, running_var, bias (N,), dout (B, N) and the keywords
    (training, momentum, eps, activation, unbiased).
    Zero-variance columns (weight column 0), and sometimes identical rows of x."""
    n = st.integers(1, max_dim)
    training = draw(st.booleans())
    dtype, B, K, N = draw(dtypes), draw(st.integers(1 + training, max_dim)), draw(n), draw(n)
    bias, activation = draw(st.booleans()), draw(st.sampled_from(("tanh", None)))
    vector = (N,)
    shapes = {"x": (B, K), "weight": (K, N), "gamma": vector, "beta": vector,
              "running_mean": vector, "running_var": vector,
              "bias": vector if bias else None, "dout": (B, N)}
    d, arrays, _ = _build(draw, dtype, shapes, budget=[("x", "weight"), ("gamma", "dout")],
                          allowed=BLOCK_SPECIALS, positive=("running_var",))
    d["zero_variance_columns"] = sorted({j % N for j in draw(st.lists(st.integers(0, 2**31),
                                                                     max_size=3))})
    arrays["weight"][:, d["zero_variance_columns"]] = 0
    d["identical_rows"] = draw(st.integers(0, 9)) == 0
    if d["identical_rows"]:
        arrays["x"][1:] = arrays["x"][0]
    put_specials(arrays, d["specials"])
    d.update(dtype=dtype.__name__, B=B, K=K, N=N, training=training, activation=activation,
             momentum=draw(st.sampled_from((0.0, 0.1, 0.5, 1.0))),
             eps=draw(st.sampled_from((1e-8, 1e-5, 1e-2, 1.0))),
             unbiased=draw(st.booleans()))       # the lecture's x.var(0), 1/(B-1)
    keywords = {k: d[k] for k in ("training", "momentum", "eps", "activation", "unbiased")}
    return Case(d, dtype=dtype, keywords=keywords, laid_out=_laid_out(d, arrays), **arrays)


@st.composite
def cross_entropy_cases(draw, max_dim=300):
    """logits (B, V) (some rows constant), targets (B,) integer."""
    n = st.integers(1, max_dim)
    dtype, B, V = draw(dtypes), draw(n), draw(n)
    d, arrays, rng = _build(draw, dtype, {"logits": (B, V)})
    d["constant_rows"] = sorted({i % B for i in draw(st.lists(st.integers(0, 2**31),
                                                             max_size=3))})
    arrays["logits"][d["constant_rows"]] = arrays["logits"][d["constant_rows"], :1]
    put_specials(arrays, d["specials"])
    targets = rng.integers(0, V, B).astype(draw(index_dtypes(V)))
    d.update(dtype=dtype.__name__, B=B, V=V, targets=targets.dtype.name,
             targets_layout=draw(layouts))
    return Case(d, dtype=dtype, targets=targets,
                laid_out_targets=in_layout(targets, d["targets_layout"]),
                laid_out=_laid_out(d, arrays), **arrays)


@st.composite
def sgd_cases(draw, max_params=4, max_dim=300):
    """1..max_params (data, grads) pairs of 1-D or 2-D arrays, each pair of its own
    dtype; sometimes grads[i] is data[i] itself; lr; update_ratios or not."""
    pairs = []
    for i in range(draw(st.integers(1, max_params))):
        shape = tuple(draw(st.lists(st.integers(1, max_dim), min_size=1, max_size=2)))
        dtype = draw(dtypes)
        d, arrays, _ = _build(draw, dtype, {"data": shape, "grads": shape})
        put_specials(arrays, d["specials"])
        d.update(dtype=dtype.__name__, shape=shape, alias=draw(st.integers(0, 9)) == 0)
        laid_out = _laid_out(d, arrays)
        if d["alias"]:
            arrays["grads"], laid_out["grads"] = arrays["data"], laid_out["data"]
        pairs.append(Case(d, dtype=dtype, laid_out=laid_out, **arrays))
    lr = draw(st.sampled_from((0.0, 1e-3, 0.1, 1.0, -0.1, 30.0)))
    ratios = draw(st.booleans()) and all(p.data.size >= 2 for p in pairs)
    return Case({"pairs": [p.description for p in pairs], "lr": lr, "ratios": ratios},
                pairs=pairs, lr=lr, ratios=ratios)


# ---------------------------------------------------------------------------
# the forwards called on a case's laid-out arrays

def linear_call(case, **tracking):
    lo = case.laid_out
    return ops.linear_forward(lo["x"], lo["weight"], lo["bias"], case.activation, **tracking)


def block_call(case, **tracking):
    lo = case.laid_out
    return ops.linear_bn_tanh_forward(lo["x"], lo["weight"], lo["gamma"], lo["beta"],
                                      lo["running_mean"], lo["running_var"],
                                      bias=lo["bias"], **case.keywords, **tracking)

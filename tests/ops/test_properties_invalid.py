"""Property tests: an invalid argument raises the documented exception
(TypeError for a wrong type or dtype, ValueError for a wrong shape or value,
IndexError for an index out of range), its message names the argument, and
nothing has been modified.

Each example draws a small valid call of one ops function, then breaks one of
its arguments in one of the ways that function documents as an error.
"""
import re
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from makemore_fast import ops

F32, F64 = np.float32, np.float64
small = st.integers(1, 6)


def other_float(a):
    return a.astype(F64 if a.dtype == F32 else F32)


def fewer_dims(a):
    return a.ravel() if a.ndim == 2 else np.asarray(a[0])


# (how, break the array, exception) for any float or index array argument
ANY_ARRAY = [("a list", lambda a: a.tolist(), TypeError),
             ("one more dimension", lambda a: a[..., None], ValueError),
             ("one fewer dimension", fewer_dims, ValueError)]
FLOAT_ARRAY = ANY_ARRAY + [(f"dtype {t.__name__}", lambda a, t=t: a.astype(t), TypeError)
                           for t in (np.int64, np.float16, np.complex64, np.bool_)]
INDEX_ARRAY = ANY_ARRAY + [(f"dtype {t.__name__}", lambda a, t=t: a.astype(t), TypeError)
                           for t in (F32, np.bool_, object)]
MIXED = [("the other float dtype", other_float, TypeError)]


def longer(a, axis=0):
    return np.concatenate([a, a.take([0], axis=axis)], axis=axis)


class Breakage(NamedTuple):
    """Argument `name` set to `value` (and `also` other arguments): raises `exc`
    with `name` (or `pattern`) in its message."""
    name: str
    how: str
    value: object
    exc: type
    also: dict = {}
    pattern: str = None


class Call:
    """A valid call ops.<function>(*args, **kwargs), its arguments by name."""

    def __init__(self, function, names, args, kwargs=None):
        self.function = function
        self.args, self.kwargs = dict(zip(names, args)), dict(kwargs or {})

    def get(self, name):
        return self.args[name] if name in self.args else self.kwargs[name]

    def set(self, name, value):
        (self.args if name in self.args else self.kwargs)[name] = value

    def run(self):
        return self.function(*self.args.values(), **self.kwargs)

    def arrays(self):
        """Every array argument (lists of arrays too), by name."""
        found = {}
        for name, value in {**self.args, **self.kwargs}.items():
            items = value if isinstance(value, list) else [value]
            found.update({(name, i): a for i, a in enumerate(items)
                          if isinstance(a, np.ndarray)})
        return found


def corruptions(call, floats=(), indices=(), mixed=(), extra=()):
    """Every applicable Breakage: generic ones for the named arrays, then `extra`."""
    found = []
    for names, breakers in ((floats, FLOAT_ARRAY), (indices, INDEX_ARRAY), (mixed, MIXED)):
        found += [Breakage(name, how, f(call.get(name)), exc)
                  for name in names for how, f, exc in breakers]
    return found + [e for e in extra if e is not None]


# ---------------------------------------------------------------------------
# valid calls and their documented errors, one builder per ops function

def embedding_forward(rng, dtype, B, T, E, V):
    table = rng.standard_normal((V, E)).astype(dtype)
    idx = rng.integers(0, V, (B, T))
    call = Call(ops.embedding_forward, ["table", "idx"], [table, idx])
    bad_idx = idx.copy()
    bad_idx.flat[rng.integers(idx.size)] = rng.choice([-1, V, V + 100, -(2**40)])
    return call, corruptions(call, floats=["table"], indices=["idx"], extra=[
        Breakage("idx", "an index out of range", bad_idx, IndexError),
        Breakage("idx", "an empty batch", idx[:0], ValueError),
        Breakage("table", "no columns", table[:, :0], ValueError)])


def embedding_backward(rng, dtype, B, T, E, V):
    idx = rng.integers(0, V, (B, T))
    dout = rng.standard_normal((B, T * E)).astype(dtype)
    call = Call(ops.embedding_backward, ["dout", "idx", "num_embeddings"], [dout, idx, V])
    top = int(idx.max())
    return call, corruptions(call, floats=["dout"], indices=["idx"], extra=[
        *[Breakage("num_embeddings", repr(v), v, ValueError) for v in (0, -3)],
        *[Breakage("num_embeddings", repr(v), v, TypeError) for v in (float(V), str(V), None)],
        Breakage("idx", "an index >= num_embeddings", idx, IndexError,
                 {"num_embeddings": top}) if top > 0 else None,
        Breakage("dout", "a width not a multiple of T", dout[:, :-1], ValueError)
        if T > 1 else None,
        Breakage("dout", "another batch size", longer(dout), ValueError)])


def linear_forward(rng, dtype, B, K, N, _):
    x = rng.standard_normal((B, K)).astype(dtype)
    w = rng.standard_normal((K, N)).astype(dtype)
    b = rng.standard_normal(N).astype(dtype)
    call = Call(ops.linear_forward, ["x", "weight", "bias", "activation"], [x, w, b, "tanh"],
                {"stats": np.zeros(5)})
    return call, corruptions(call, floats=["x", "weight", "bias"], mixed=["weight", "bias"],
                             extra=ACTIVATION + STATS + [
        Breakage("weight", "another fan_in", longer(w), ValueError),
        Breakage("bias", "another fan_out", longer(b), ValueError),
        Breakage("x", "an empty batch", x[:0], ValueError)])


def block_forward(rng, dtype, B, K, N, _):
    B += 1
    x = rng.standard_normal((B, K)).astype(dtype)
    w = rng.standard_normal((K, N)).astype(dtype)
    vectors = [rng.standard_normal(N).astype(dtype) for _ in range(4)]
    vectors[3] = np.abs(vectors[3])
    names = ["x", "weight", "gamma", "beta", "running_mean", "running_var"]
    call = Call(ops.linear_bn_tanh_forward, names, [x, w, *vectors],
                {"bias": rng.standard_normal(N).astype(dtype), "stats": np.zeros(5)})
    vector_names = names[2:] + ["bias"]
    frozen = {}
    for name in ("running_mean", "running_var"):
        frozen[name] = call.args[name].copy()
        frozen[name].flags.writeable = False
    return call, corruptions(call, floats=names + ["bias"], mixed=names[1:] + ["bias"],
                             extra=ACTIVATION + STATS + [
        *[Breakage(name, "another length", longer(call.get(name)), ValueError)
          for name in vector_names],
        Breakage("weight", "another fan_in", longer(w), ValueError),
        Breakage("x", "a batch of 1 in training", x[:1], ValueError,
                 pattern="more than 1 value"),
        *[Breakage(name, "read-only in training", frozen[name], ValueError)
          for name in frozen],
        *[Breakage("momentum", repr(m), m, ValueError) for m in (-0.1, 1.5, np.nan, np.inf)],
        *[Breakage("eps", repr(e), e, ValueError) for e in (-1e-5, np.nan, np.inf)]])


def cross_entropy(rng, dtype, B, V, *_):
    logits = rng.standard_normal((B, V)).astype(dtype)
    targets = rng.integers(0, V, B)
    bad = targets.copy()
    bad[rng.integers(B)] = rng.choice([-1, V, 2**40])
    call = Call(ops.cross_entropy, ["logits", "targets"], [logits, targets])
    return call, corruptions(call, floats=["logits"], indices=["targets"], extra=[
        Breakage("targets", "an index out of range", bad, IndexError),
        Breakage("targets", "another batch size", longer(targets), ValueError),
        Breakage("logits", "no classes", logits[:, :0], ValueError)])


def linear_backward(rng, dtype, B, K, N, _):
    x = rng.standard_normal((B + 1, K)).astype(dtype)
    w = rng.standard_normal((K, N)).astype(dtype)
    out, cache = ops.linear_forward(x, w, None, "tanh")
    one = np.ones(N, dtype)
    _, other = ops.linear_bn_tanh_forward(x, w, one, one, one.copy(), one.copy())
    return backward_call(ops.linear_backward, rng, out, cache, other)


def block_backward(rng, dtype, B, K, N, _):
    x = rng.standard_normal((B + 1, K)).astype(dtype)
    w = rng.standard_normal((K, N)).astype(dtype)
    one = np.ones(N, dtype)
    out, cache = ops.linear_bn_tanh_forward(x, w, one, one, one.copy(), one.copy())
    _, other = ops.linear_forward(x, w)
    return backward_call(ops.linear_bn_tanh_backward, rng, out, cache, other)


def backward_call(function, rng, out, cache, other_cache):
    dout = rng.standard_normal(out.shape).astype(out.dtype)
    call = Call(function, ["dout", "cache"], [dout, cache])
    return call, corruptions(call, floats=["dout"], mixed=["dout"], extra=[
        *[Breakage("cache", how, c, TypeError)
          for how, c in (("the other op's", other_cache), ("None", None), ("a dict", {}))],
        Breakage("dout", "another batch size", longer(dout), ValueError),
        Breakage("dout", "another width", longer(dout, axis=1), ValueError)])


def single(a):
    """The first element of `a`, with a's number of dimensions."""
    return a.reshape(-1)[:1].reshape((1,) * a.ndim)


def sgd_update(rng, dtype, n, rows, cols, _):
    rows += 1                                 # update ratios need 2 elements
    shapes = [(rows,), (rows, cols), (cols, rows)][:n % 3 + 1]
    data = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
    call = Call(ops.sgd_update, ["data", "grads", "lr"], [data, grads, 0.1],
                {"update_ratios": np.zeros(len(data))})
    i = int(rng.integers(len(data)))
    frozen = data[i].copy()
    frozen.flags.writeable = False

    def pair(name, value, exc, how, arrays=grads):
        replaced = arrays[:i] + [value] + arrays[i + 1:]
        return Breakage(name, how, replaced, exc, pattern=re.escape(f"{name}[{i}]"))

    return call, [
        pair("grads", longer(grads[i]), ValueError, "another shape"),
        pair("grads", other_float(grads[i]), TypeError, "the other float dtype"),
        pair("grads", grads[i].tolist(), TypeError, "a list"),
        pair("grads", grads[i].astype(np.int64), TypeError, "an integer dtype"),
        pair("data", data[i].tolist(), TypeError, "a list", data),
        pair("data", data[i].astype(np.int64), TypeError, "an integer dtype", data),
        pair("data", frozen, ValueError, "read-only", data),
        pair("data", single(data[i]), ValueError, "1 element with update ratios", data)
        ._replace(also={"grads": grads[:i] + [single(grads[i])] + grads[i + 1:]}),
        Breakage("grads", "one pair fewer", grads[:-1], ValueError, pattern="length"),
        *[Breakage("lr", repr(v), v, ValueError) for v in (np.nan, np.inf, -np.inf)],
        Breakage("update_ratios", "float32", np.zeros(len(data), F32), TypeError),
        Breakage("update_ratios", "a list", [0.0] * len(data), TypeError),
        Breakage("update_ratios", "one more", np.zeros(len(data) + 1), ValueError)]


ACTIVATION = [Breakage("activation", repr(a), a, ValueError) for a in ("relu", "Tanh", 1, True)]
STATS = [Breakage("stats", "float32", np.zeros(5, F32), TypeError),
         Breakage("stats", "shape (4,)", np.zeros(4), ValueError),
         Breakage("stats", "a list", [0.0] * 5, TypeError),
         Breakage("saturation", "-1", -1.0, ValueError),
         Breakage("saturation", "NaN", np.nan, ValueError)]
BUILDERS = [embedding_forward, embedding_backward, linear_forward, linear_backward,
            block_forward, block_backward, cross_entropy, sgd_update]


@st.composite
def invalid_calls(draw, builder):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from((F32, F64)))
    call, breakages = builder(rng, dtype, *(draw(small) for _ in range(4)))
    return call, draw(st.sampled_from(breakages))


def assert_raises_naming(call, breakage):
    before = {key: a.copy() for key, a in call.arrays().items()}
    call.set(breakage.name, breakage.value)
    for name, value in breakage.also.items():
        call.set(name, value)
    with pytest.raises(breakage.exc) as info:
        call.run()
    pattern = breakage.pattern or rf"(?<![\w.]){re.escape(breakage.name)}(?!\w)"
    assert re.search(pattern, str(info.value)), (breakage.how, str(info.value))
    after = call.arrays()
    for key, old in before.items():
        if key[0] != breakage.name and key[0] not in breakage.also:
            assert np.array_equal(after[key], old, equal_nan=True), (breakage.how, key)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
@given(data=st.data())
def test_invalid_argument_raises_naming_it(builder, data):
    assert_raises_naming(*data.draw(invalid_calls(builder)))


@pytest.mark.parametrize("value", [None, "0.1", 1j, np.array([0.1, 0.2])], ids=repr)
@pytest.mark.parametrize("name", ["momentum", "eps", "saturation", "lr"])
def test_scalar_arguments_must_be_real_numbers(name, value):
    x, w, one = np.ones((2, 1)), np.ones((1, 1)), np.ones(1)
    with pytest.raises(TypeError, match=name):
        if name == "lr":
            ops.sgd_update([one.copy()], [one], value)
        else:
            ops.linear_bn_tanh_forward(x, w, one, one, one.copy(), one.copy(),
                                       stats=np.zeros(5), **{name: value})

"""Checkpoints: round trip, atomic writes, and clear errors for damaged or foreign files.

Checkpoints under failure. A save that fails at any point of the write
leaves the previous file as it was and no temporary file behind. Loading a
damaged file (cut anywhere, bytes overwritten anywhere, junk appended, random
bytes) raises ValueError or gives back the intact model: never another
exception, never a different model."""
import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import makemore_fast as mf
from makemore_fast import checkpoint


@pytest.fixture
def model():
    splits = mf.data.load_splits()
    m = mf.lecture_mlp(n_hidden=24, n_layers=2, seed=0)
    mf.train(m, *splits.train, steps=30, seed=0, progress=False)
    m.vocab = splits.vocab
    return m


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip(tmp_path, dtype):
    m = mf.single_layer_bn_mlp(seed=1, dtype=dtype)
    m.layers[2].running_mean[:] = np.arange(200)
    m.layers[2].num_batches_tracked = 17
    m.vocab = mf.data.NAMES_VOCAB
    path = tmp_path / "model.npz"
    mf.save(m, path)
    loaded = mf.load(path)
    assert loaded.config == m.config and loaded.vocab == m.vocab
    assert loaded.layers[2].num_batches_tracked == 17
    for key, value in m.state_dict().items():
        restored = loaded.state_dict()[key]
        assert restored.dtype == value.dtype
        np.testing.assert_array_equal(restored, value)
    X = np.random.default_rng(0).integers(0, 27, (10, 3))
    np.testing.assert_array_equal(loaded.infer(X), m.infer(X))
    assert mf.sample(loaded, 5, seed=3) == mf.sample(m, 5, seed=3)


def test_round_trip_of_an_unbiased_model_trains_on_the_same(tmp_path):
    """BatchNorm1d(unbiased=True) comes back unbiased: the same config, state,
    and the same next training steps (the convention changes every step)."""
    splits = mf.data.load_splits()
    m = mf.lecture_mlp(n_hidden=24, n_layers=2, seed=0, unbiased=True)
    mf.train(m, *splits.train, steps=20, seed=0, progress=False)
    path = tmp_path / "unbiased.npz"
    mf.save(m, path)
    loaded = mf.load(path)
    bns = [layer for layer in loaded.layers if isinstance(layer, mf.BatchNorm1d)]
    assert bns and all(layer.unbiased for layer in bns)
    assert loaded.config == m.config
    for key, value in m.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)
    a = mf.train(m, *splits.train, steps=5, seed=1, progress=False).loss
    b = mf.train(loaded, *splits.train, steps=5, seed=1, progress=False).loss
    np.testing.assert_array_equal(a, b)
    biased = mf.lecture_mlp(n_hidden=24, n_layers=2, seed=0)
    biased.load_state_dict(mf.load(path).state_dict())
    c = mf.train(biased, *splits.train, steps=5, seed=1, progress=False).loss
    assert not np.array_equal(a, c)        # the same state, the other convention


def test_model_without_vocab(tmp_path):
    path = tmp_path / "m.npz"
    mf.save(mf.lecture_mlp(seed=0), path)
    assert mf.load(path).vocab is None


def test_exact_path_and_file_mode(tmp_path, model):
    path = tmp_path / "ckpt"
    mf.save(model, path)
    assert path.exists() and not (tmp_path / "ckpt.npz").exists()
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]      # no temporary left


def test_failed_save_keeps_the_previous_file(tmp_path, model, monkeypatch):
    path = tmp_path / "model.npz"
    mf.save(model, path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        mf.save(model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def damaged(tmp_path, model, kind):
    """Write one kind of bad file; return its path."""
    path = tmp_path / "bad.npz"
    good = tmp_path / "good.npz"
    mf.save(model, good)
    raw = good.read_bytes()
    arrays = dict(np.load(good))
    meta = json.loads(str(arrays["__meta__"]))
    if kind == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif kind == "text":
        path.write_text("emma\nolivia\n")
    elif kind == "npy":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    elif kind == "foreign":
        np.savez(path, weights=np.zeros(3))
    elif kind == "pickled":
        np.savez(path, __meta__=np.array([{"a": 1}], dtype=object))
    elif kind == "bad_json":
        arrays["__meta__"] = np.array("{not json")
        np.savez(path, **arrays)
    elif kind == "wrong_format":
        meta["format"] = "something.else"
        arrays["__meta__"] = np.array(json.dumps(meta))
        np.savez(path, **arrays)
    elif kind == "future_version":
        meta["version"] = 99
        arrays["__meta__"] = np.array(json.dumps(meta))
        np.savez(path, **arrays)
    elif kind == "huge_config":
        meta["config"]["layers"][0]["num_embeddings"] = 10**12
        arrays["__meta__"] = np.array(json.dumps(meta))
        np.savez(path, **arrays)
    elif kind == "missing_array":
        del arrays["layers.1.weight"]
        np.savez(path, **arrays)
    elif kind == "wrong_shape":
        arrays["layers.1.weight"] = arrays["layers.1.weight"][:, :-1]
        np.savez(path, **arrays)
    elif kind == "bad_vocab":
        meta["vocab"] = "abc"
        arrays["__meta__"] = np.array(json.dumps(meta))
        np.savez(path, **arrays)
    elif kind == "corrupt_member":
        buf = bytearray(raw)
        start = raw.index(b"layers.1.weight.npy") + 100
        buf[start:start + 200] = b"\x00" * 200
        path.write_bytes(bytes(buf))
    return path


@pytest.mark.parametrize("kind", [
    "truncated", "empty", "random", "text", "npy", "foreign", "pickled", "bad_json",
    "wrong_format", "future_version", "huge_config", "missing_array", "wrong_shape",
    "bad_vocab", "corrupt_member"])
def test_damaged_or_foreign_files_raise_value_error(tmp_path, model, kind):
    path = damaged(tmp_path, model, kind)
    with pytest.raises(ValueError, match=str(path).replace("\\", "\\\\")):
        mf.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        mf.load(tmp_path / "nope.npz")


def test_checkpoint_is_a_plain_npz(tmp_path, model):
    """Readable without makemore_fast: named arrays plus a JSON string."""
    path = tmp_path / "m.npz"
    mf.save(model, path)
    with zipfile.ZipFile(path) as z:
        assert "layers.1.weight.npy" in z.namelist()
    meta = json.loads(str(np.load(path)["__meta__"]))
    assert meta["vocab"] == ".abcdefghijklmnopqrstuvwxyz"
    assert meta["config"]["layers"][0]["type"] == "Embedding"


def test_custom_layers_are_refused_before_writing(tmp_path):
    class Double(mf.Layer):
        def __call__(self, x):
            return 2 * x

    model = mf.Sequential([mf.Linear(3, 2), Double()])
    with pytest.raises(ValueError, match="Double"):
        mf.save(model, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def small_model(seed):
    model = mf.lecture_mlp(n_hidden=8, n_layers=1, seed=seed)
    model.vocab = mf.data.NAMES_VOCAB
    return model


def write_part_then(exc):
    def savez(f, **arrays):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise exc
    return savez


def fail(exc):
    def broken(*args, **kwargs):
        raise exc
    return broken


# Where the write can fail: (function in checkpoint's namespace, replacement).
FAILURES = {
    "savez, half written": (checkpoint.np, "savez", write_part_then(OSError("disk full"))),
    "fsync": (checkpoint.os, "fsync", fail(OSError("I/O error"))),
    "chmod": (checkpoint.os, "chmod", fail(PermissionError("read-only file system"))),
    "rename": (checkpoint.os, "replace", fail(OSError("cross-device link"))),
    "Ctrl-C, half written": (checkpoint.np, "savez", write_part_then(KeyboardInterrupt())),
}


@pytest.mark.parametrize("previous", [True, False], ids=["over a file", "new file"])
@pytest.mark.parametrize("where", list(FAILURES))
def test_failed_save_changes_nothing(tmp_path, monkeypatch, where, previous):
    path = tmp_path / "model.npz"
    if previous:
        mf.save(small_model(0), path)
    before = path.read_bytes() if previous else None
    owner, name, replacement = FAILURES[where]
    monkeypatch.setattr(owner, name, replacement)
    with pytest.raises((OSError, KeyboardInterrupt)):
        mf.save(small_model(1), path)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == (["model.npz"] if previous else [])
    if previous:
        assert path.read_bytes() == before
        assert_same_model(mf.load(path), small_model(0))


def assert_same_model(loaded, model):
    assert loaded.config == model.config and loaded.vocab == model.vocab
    state, expected = loaded.state_dict(), model.state_dict()
    assert state.keys() == expected.keys()
    for key in expected:
        assert state[key].dtype == expected[key].dtype
        np.testing.assert_array_equal(state[key], expected[key])


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A checkpoint's bytes, its model, and where to write damaged copies."""
    directory = tmp_path_factory.mktemp("checkpoint")
    model = small_model(2)
    mf.save(model, directory / "good.npz")
    return (directory / "good.npz").read_bytes(), model, directory / "bad.npz"


damages = st.one_of(
    st.tuples(st.just("cut at"), st.integers(0, 2**31)),
    st.tuples(st.just("overwrite at"), st.integers(0, 2**31), st.binary(min_size=1,
                                                                         max_size=64)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=256)),
    st.tuples(st.just("random bytes"), st.binary(max_size=4096)))


def damage(raw, how):
    kind, *args = how
    if kind == "cut at":
        return raw[:args[0] % len(raw)]
    if kind == "overwrite at":
        start, patch = args[0] % len(raw), args[1]
        return raw[:start] + patch + raw[start + len(patch):]
    if kind == "append":
        return raw + args[0]
    return args[0]


@given(how=damages)
def test_damaged_file_gives_value_error_or_the_intact_model(good, how):
    raw, model, path = good
    path.write_bytes(damage(raw, how))
    try:
        loaded = mf.load(path)
    except ValueError as e:
        assert str(path) in str(e)
        return
    assert_same_model(loaded, model)


def directory_entry_with(raw, offset, value):
    """`raw` with byte `offset` of its first zip central-directory entry set to `value`
    (8: flags, bit 0 = encrypted; 10: compression method)."""
    entry = raw.index(b"PK\x01\x02")
    return raw[:entry + offset] + bytes([value]) + raw[entry + offset + 1:]


@pytest.mark.parametrize("offset,value", [(8, 1), (10, 99)], ids=["encrypted", "method"])
def test_damaged_zip_directory_flags_give_value_error(good, offset, value):
    raw, _, path = good
    path.write_bytes(directory_entry_with(raw, offset, value))
    with pytest.raises(ValueError, match="not a makemore_fast checkpoint"):
        mf.load(path)


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_array_of_another_dtype_than_the_config_is_refused(good, dtype):
    raw, _, path = good
    path.write_bytes(raw)
    arrays = dict(np.load(path))
    arrays["layers.1.weight"] = arrays["layers.1.weight"].astype(dtype)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="dtype"):
        mf.load(path)

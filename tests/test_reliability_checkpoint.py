"""Checkpoints under failure. A save that fails at any point of the write
leaves the previous file as it was and no temporary file behind. Loading a
damaged file (cut anywhere, bytes overwritten anywhere, junk appended, random
bytes) raises ValueError or gives back the intact model: never another
exception, never a different model. (The fixed list of damaged and foreign
files is in test_checkpoint.py.)"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import makemore_fast as mf
from makemore_fast import checkpoint


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

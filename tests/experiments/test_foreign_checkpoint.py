"""A file that is not a checkpoint: the error says so and why, and never
suggests unpickling it (numpy's own message does)."""
import pickle

import numpy as np
import pytest

import makemore_fast as mf


def write(path, kind):
    if kind == "pickle":
        path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    elif kind == "text":
        path.write_text("emma\nolivia\n")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(256))
    elif kind == "object npz":
        np.savez(path, __meta__=np.array([{"a": 1}], dtype=object))
    elif kind == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize("kind", ["pickle", "text", "random", "object npz", "empty"])
def test_foreign_file_is_refused_without_inviting_unpickling(tmp_path, kind):
    path = tmp_path / "model.npz"
    write(path, kind)
    with pytest.raises(ValueError) as e:
        mf.load(path)
    message = str(e.value)
    assert message.startswith(f"{path} is not a makemore_fast checkpoint (")
    assert "allow_pickle" not in message and "pickle.load" not in message
    assert "trust" not in message

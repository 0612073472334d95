"""Checkpoints: one .npz holding a model's weights, buffers, architecture and vocabulary.

Layout: the arrays of `model.state_dict()` under their names
("layers.2.gamma", "layers.2.running_mean", ...) and "__meta__", a JSON
string {"format", "version", "config", "vocab"}.  Nothing is pickled.
"""
import json
import os
import tempfile
import zipfile
import zlib

import numpy as np

from .data import Vocab
from .nn import Sequential
from .nn.layers import LAYER_TYPES

FORMAT = "makemore_fast.checkpoint"
VERSION = 1
_META = "__meta__"


def save(model, path):
    """Write `model` to `path` (exactly that name; ".npz" is the convention).

    Atomic: the file is written to a temporary file in the same directory,
    flushed to disk, then renamed over `path`, so a failed save leaves any
    previous file intact.
    """
    path = os.fspath(path)
    for i, spec in enumerate(model.config["layers"]):
        if spec["type"] not in LAYER_TYPES:
            raise ValueError(f"cannot save layers[{i}] ({spec['type']}): checkpoints hold "
                             f"the layers of makemore_fast.nn only")
    meta = {"format": FORMAT, "version": VERSION, "config": model.config,
            "vocab": None if model.vocab is None else "".join(model.vocab.itos)}
    arrays = model.state_dict()
    if _META in arrays:
        raise ValueError(f"a model array is named {_META!r}, which checkpoints reserve")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{_META: np.array(json.dumps(meta))}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600): give it the usual mode instead.
        mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _sync_directory(directory)


def load(path):
    """The model saved at `path`, with its vocabulary as model.vocab.

    The model comes back as a new one does, in training mode.

    Raises FileNotFoundError for a missing file and ValueError, saying why,
    for anything that is not a complete makemore_fast checkpoint: another
    format, a truncated or corrupted file, a foreign .npz, a mismatched array.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    _check_magic(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive")
        with archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError,
            RuntimeError, NotImplementedError) as e:   # the last two: a damaged zip
        # directory claiming an encrypted member or an unknown compression
        raise ValueError(f"{path} is not a makemore_fast checkpoint ({_reason(e)})") from None
    meta = _read_meta(arrays.pop(_META, None), path)
    try:
        # Never allocate more than the file holds: a damaged config could ask
        # for any size.
        implied = sum(_spec_size(spec) for spec in meta["config"]["layers"])
        if implied > sum(a.size for a in arrays.values()):
            raise ValueError("it describes more weights than the file holds")
        model = Sequential.from_config(meta["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: the checkpoint's model config is invalid ({e})") from None
    for key, a in arrays.items():
        counter = key.endswith("num_batches_tracked")
        if a.dtype != model.dtype and not (counter and a.dtype.kind in "iu"):
            want = "an integer" if counter else model.dtype.name
            raise ValueError(f"{path}: array {key!r} has dtype {a.dtype}, the model's "
                             f"config says {want}")
    try:
        model.load_state_dict(arrays)
    except ValueError as e:
        raise ValueError(f"{path}: the arrays do not fit the model ({e})") from None
    if meta["vocab"] is not None:
        try:
            model.vocab = Vocab(meta["vocab"])
        except (TypeError, ValueError) as e:
            raise ValueError(f"{path}: invalid vocabulary ({e})") from None
    return model


_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"


def _check_magic(path):
    """Refuse, before numpy reads it, a file that is neither an .npz nor an .npy:
    numpy would take it for a pickle and suggest unpickling it."""
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError as e:
        raise ValueError(f"{path} is not a makemore_fast checkpoint ({e.strerror})") from None
    if not (head.startswith(_ZIP_MAGIC) or head.startswith(_NPY_MAGIC)):
        what = "it is empty" if not head else "it is not an .npz archive (no zip header)"
        raise ValueError(f"{path} is not a makemore_fast checkpoint ({what})")


def _reason(error):
    """numpy's message, except where it would invite unpickling the file."""
    text = str(error)
    if "pickle" in text.lower():
        return "it holds object (pickled) arrays, which a checkpoint never does"
    return text


def _spec_size(spec):
    """Number of stored values a layer config implies (parameters and buffers)."""
    kind = spec["type"]
    if kind == "Embedding":
        return int(spec["num_embeddings"]) * int(spec["embedding_dim"])
    if kind == "Linear":
        fan_out = int(spec["fan_out"])
        return int(spec["fan_in"]) * fan_out + fan_out * bool(spec["bias"])
    if kind == "BatchNorm1d":
        return 4 * int(spec["dim"]) + 1
    return 0


def _read_meta(raw, path):
    if raw is None:
        raise ValueError(f"{path} is an .npz archive but not a makemore_fast checkpoint "
                         f"(no {_META!r} entry)")
    try:
        meta = json.loads(str(raw[()]))
    except (ValueError, TypeError, IndexError):
        raise ValueError(f"{path}: the checkpoint's {_META!r} entry is not JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path} is an .npz archive but not a makemore_fast checkpoint")
    if meta.get("version") != VERSION:
        raise ValueError(f"{path}: checkpoint version {meta.get('version')!r} is not "
                         f"supported (this makemore_fast reads version {VERSION})")
    if not isinstance(meta.get("config"), dict) or "vocab" not in meta:
        raise ValueError(f"{path}: the checkpoint's metadata is incomplete")
    return meta


def _sync_directory(directory):
    """Flush the rename to disk where the platform allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

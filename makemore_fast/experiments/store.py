"""The resume store of a sweep: one .npz per finished config in DIR/results/.

Each file holds the Result's `loss` array and "__result__", a JSON string
with the rest (the config, losses, seconds, stats, samples, error); nothing
is pickled.  A file is written to a temporary name in the same directory,
flushed and renamed: it either exists whole or not at all, so a sweep killed
at any moment leaves only complete results, which the next sweep loads.
The file name is the config's name (made safe) and `Config.key`, a hash of
every field: a changed config never loads an old result.
"""
import json
import os
import re
import tempfile
import zipfile

import numpy as np

from .config import Config
from .runner import Result

RESULTS = "results"
_META = "__result__"


class ResultStore:
    """The finished results under `directory` (created when needed)."""

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        if os.path.exists(self.directory) and not os.path.isdir(self.directory):
            raise ValueError(f"out={self.directory} exists and is not a directory")
        self.results_dir = os.path.join(self.directory, RESULTS)
        os.makedirs(self.results_dir, exist_ok=True)

    def path(self, config):
        slug = re.sub(r"[^A-Za-z0-9._=-]+", "_", config.name).strip("_")[:48] or "config"
        return os.path.join(self.results_dir, f"{slug}-{config.key}.npz")

    def load(self, config):
        """The stored Result of `config` (with loaded=True), or None."""
        path = self.path(config)
        if not os.path.exists(path):
            return None
        try:
            with np.load(path, allow_pickle=False) as archive:
                meta = json.loads(str(archive[_META][()]))
                loss = np.array(archive["loss"], dtype=np.float64)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None                      # unreadable: run it again
        if Config.from_dict(meta["config"]) != config:
            return None
        return Result(config=config, loss=loss, train_loss=meta["train_loss"],
                      val_loss=meta["val_loss"], seconds=meta["seconds"],
                      stats=meta["stats"], samples=meta["samples"], error=meta["error"],
                      loaded=True)

    def save(self, result):
        """Write `result` atomically; returns its path."""
        path = self.path(result.config)
        meta = {"config": result.config.to_dict(), "train_loss": result.train_loss,
                "val_loss": result.val_loss, "seconds": result.seconds,
                "stats": result.stats, "samples": list(result.samples),
                "error": result.error}
        fd, tmp = tempfile.mkstemp(prefix=".result.", suffix=".tmp", dir=self.results_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **{_META: np.array(json.dumps(meta)),
                               "loss": np.asarray(result.loss, dtype=np.float64)})
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return path

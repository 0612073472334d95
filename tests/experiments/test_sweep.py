"""experiments.sweep: the local pool, any Executor, failures, the resume store,
and a sweep killed half way."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast.experiments import Config, grid, run, sweep

sys.path.insert(0, str(Path(__file__).parent))   # sweep_helpers, for the workers too
import sweep_helpers  # noqa: E402

BASE = Config(n_layers=2, n_hidden=16, steps=300, lr_decay_step=200)
PACKAGE_ROOT = str(Path(mf.__file__).resolve().parent.parent)


def test_local_pool_is_bit_identical_to_run_and_in_order():
    configs = grid(BASE, gain=[0.5, 3.0], batchnorm=[False, True])
    results = sweep(configs, progress=False, workers=2)
    assert [r.config for r in results] == configs
    for config, r in zip(configs, results):
        alone = run(config)
        np.testing.assert_array_equal(r.loss, alone.loss)
        assert r.val_loss == alone.val_loss and r.train_loss == alone.train_loss
        assert r.error is None and not r.loaded


def test_one_failing_config_among_good_ones():
    configs = [BASE.replace(name="good 1"), BASE.replace(name="diverges", lr=1e30),
               BASE.replace(name="missing data", data="/nonexistent/words.txt"),
               BASE.replace(name="good 2", seed=1)]
    results = sweep(configs, progress=False, workers=2)
    assert results[0].error is None and results[3].error is None
    assert results[1].error.startswith("diverged at step")
    assert results[2].error.startswith("FileNotFoundError") and "/nonexistent" in results[2].error
    np.testing.assert_array_equal(results[3].loss, run(configs[3]).loss)


def test_a_worker_that_dies_is_that_configs_error_and_the_others_go_on(tmp_path):
    configs = [BASE.replace(name=f"good {k}", seed=k) for k in range(3)]
    configs.insert(1, BASE.replace(name="die here"))
    results = sweep(configs, progress=False, workers=2, runner=sweep_helpers.die_on_name,
                    out=tmp_path)
    assert results[1].error.startswith("the worker process died")
    for k in (0, 2, 3):
        assert results[k].error is None
        np.testing.assert_array_equal(results[k].loss, run(configs[k]).loss)
    # the death is not stored: a later sweep tries that config again
    assert len(list((tmp_path / "results").glob("*.npz"))) == 3


def test_any_executor_and_duplicates():
    configs = [BASE, BASE.replace(seed=5), BASE]
    with ThreadPoolExecutor(2) as pool:
        results = sweep(configs, executor=pool, progress=False)
    assert results[0] is results[2]
    np.testing.assert_array_equal(results[1].loss, run(configs[1]).loss)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(configs=BASE), TypeError, "list of Configs"),
    (dict(configs=[BASE, {"steps": 3}]), TypeError, r"configs\[1\]"),
    (dict(configs=5), TypeError, "list of Configs"),
    (dict(configs=[BASE], executor="local"), TypeError, "executor"),
    (dict(configs=[BASE], workers=0), ValueError, "workers"),
    (dict(configs=[BASE], runner=3), TypeError, "runner")])
def test_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        sweep(progress=False, **kwargs)


def test_out_that_is_a_file_raises(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        sweep([BASE], out=tmp_path / "f", progress=False)


def test_out_stores_and_reloads_bit_identically(tmp_path):
    configs = [BASE, BASE.replace(gain=1.0)]
    first = sweep(configs, out=tmp_path, progress=False, workers=2)
    again = sweep(configs, out=tmp_path, progress=False, workers=2)
    assert [r.loaded for r in again] == [True, True]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.loss, b.loss)
        assert (a.val_loss, a.samples, a.stats, a.error) == (b.val_loss, b.samples, b.stats,
                                                             b.error)
    for name in ("summary.md", "summary.csv", "activations.png", "loss.png"):
        assert (tmp_path / name).exists()


KILLED_SWEEP = """
from makemore_fast.experiments import Config, sweep

def configs():
    base = Config(n_layers=2, n_hidden=16, lr_decay_step=10**9)
    quick = [base.replace(name=f"quick {k}", steps=200, seed=k) for k in range(2)]
    slow = [base.replace(name=f"slow {k}", steps=60_000, seed=k) for k in range(4)]
    return quick + slow

if __name__ == "__main__":
    sweep(configs(), out=OUT, progress=False, workers=2)
"""


def test_a_sweep_killed_half_way_resumes_without_rerunning_what_finished(tmp_path):
    out = tmp_path / "out"
    script = tmp_path / "killed_sweep.py"
    script.write_text(f"OUT = {str(out)!r}\n" + textwrap.dedent(KILLED_SWEEP))
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    proc = subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True)
    results_dir = out / "results"
    deadline = time.monotonic() + 120
    try:
        while not list(results_dir.glob("*.npz")):
            assert proc.poll() is None, "the sweep ended before any result was written"
            assert time.monotonic() < deadline, "no result after 120 s"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)         # the sweep and its workers
        proc.wait()
    finished = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
                for p in results_dir.glob("*.npz")}
    assert 1 <= len(finished) < 6
    sys.path.insert(0, str(tmp_path))
    try:
        import killed_sweep
        configs = killed_sweep.configs()
    finally:
        sys.path.remove(str(tmp_path))
    results = sweep(configs, out=out, progress=False, workers=2)
    assert all(r.error is None for r in results)
    assert sum(r.loaded for r in results) == len(finished)
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in results_dir.glob("*.npz")}
    assert len(after) == 6
    assert all(after[name] == stamp for name, stamp in finished.items())   # not rewritten
    for r in results:
        if r.loaded:
            np.testing.assert_array_equal(r.loss, run(r.config).loss)

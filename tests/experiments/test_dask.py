"""experiments.sweep on a real Dask LocalCluster (worker processes on
127.0.0.1): the same loss arrays as run() and the local pool, failures as
errors.  Skipped without dask[distributed] (the test extra installs it)."""
import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from makemore_fast.experiments import Config, run, sweep  # noqa: E402

BASE = Config(n_layers=2, n_hidden=16, steps=300, lr_decay_step=200)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_same_loss_from_run_the_local_pool_and_dask(client):
    configs = [BASE, BASE.replace(batchnorm=False, gain=1.0, seed=3)]
    on_dask = sweep(configs, executor=client, progress=False)
    local = sweep(configs, progress=False, workers=2)
    for config, d, p in zip(configs, on_dask, local):
        alone = run(config)
        np.testing.assert_array_equal(d.loss, alone.loss)
        np.testing.assert_array_equal(p.loss, alone.loss)
        assert d.val_loss == alone.val_loss == p.val_loss and d.error is None
    # it really ran on the cluster's worker processes
    assert len(client.scheduler_info()["workers"]) == 2


def test_failures_on_dask_are_errors_and_out_works(client, tmp_path):
    configs = [BASE.replace(name="good"), BASE.replace(name="bad", lr=1e30)]
    results = sweep(configs, executor=client, out=tmp_path, progress=False)
    assert results[0].error is None and results[1].error.startswith("diverged at step")
    again = sweep(configs, executor=client, out=tmp_path, progress=False)
    assert [r.loaded for r in again] == [True, True]
    assert (tmp_path / "summary.csv").exists()

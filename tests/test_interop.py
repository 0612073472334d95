"""PyTorch interop: state_dict layout, and the same numbers as torch (skipped without torch)."""
import warnings

import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast.interop import to_torch

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=1e-5)}


def trained_model(dtype):
    model = mf.lecture_mlp(n_hidden=40, n_layers=3, seed=0, dtype=dtype)
    splits = mf.data.load_splits()
    mf.train(model, *splits.train, steps=30, seed=0, progress=False)
    return model


def test_state_dict_layout_without_torch():
    model = mf.lecture_mlp(seed=0)
    sd = mf.to_torch_state_dict(model)
    assert list(sd)[:7] == ["0.weight", "2.weight", "3.weight", "3.bias", "3.running_mean",
                            "3.running_var", "3.num_batches_tracked"]
    assert sd["0.weight"].shape == (27, 10)
    np.testing.assert_array_equal(sd["2.weight"], model.layers[1].weight.data.T)
    assert sd["2.weight"].flags.c_contiguous
    assert sd["3.num_batches_tracked"].dtype == np.int64
    last = max(int(k.split(".")[0]) for k in sd)
    assert last == len(model.layers)                       # one Flatten after the Embedding
    assert sum(v.size for k, v in sd.items() if "running" not in k and "num" not in k) == 47_024


def test_round_trip_without_torch():
    a, b = trained_model(np.float64), mf.lecture_mlp(n_hidden=40, n_layers=3, seed=1,
                                                     dtype=np.float64)
    mf.load_torch_state_dict(b, mf.to_torch_state_dict(a))
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key], value)


def test_strict_loading():
    model = mf.lecture_mlp(seed=0)
    sd = mf.to_torch_state_dict(model)
    with pytest.raises(ValueError, match="missing keys \\['0.weight'\\]"):
        mf.load_torch_state_dict(model, {k: v for k, v in sd.items() if k != "0.weight"})
    with pytest.raises(ValueError, match="unexpected keys \\['99.bias'\\]"):
        mf.load_torch_state_dict(model, {**sd, "99.bias": np.zeros(3)})
    with pytest.raises(ValueError, match="2.weight"):
        mf.load_torch_state_dict(model, {**sd, "2.weight": sd["2.weight"].T})


def torch_state(net):
    return {k: v.detach().numpy() for k, v in net.state_dict().items()}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_loads_it_strictly_and_computes_the_same(dtype):
    torch = pytest.importorskip("torch")
    model = trained_model(dtype)
    net = torch.nn.Sequential(
        torch.nn.Embedding(27, 10), torch.nn.Flatten(),
        *[m for i in range(3) for m in (torch.nn.Linear(30 if i == 0 else 40, 40, bias=False),
                                        torch.nn.BatchNorm1d(40), torch.nn.Tanh())],
        torch.nn.Linear(40, 27, bias=False), torch.nn.BatchNorm1d(27),
    ).to(getattr(torch, np.dtype(dtype).name))
    sd = mf.to_torch_state_dict(model)
    assert list(sd) == list(net.state_dict())
    net.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=True)
    X = np.random.default_rng(1).integers(0, 27, (64, 3))
    net.eval()
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(X)).numpy(), model(X), **TOL[dtype])
    net.train()
    model.train()
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(X)).numpy(), model(X), **TOL[dtype])
    for key, value in torch_state(net).items():                  # running stats moved alike
        np.testing.assert_allclose(value, mf.to_torch_state_dict(model)[key], **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_twenty_sgd_steps_match_torch(dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    model = mf.lecture_mlp(n_hidden=40, n_layers=3, seed=2, dtype=dtype)
    net = to_torch(model)
    X, Y = mf.data.load_splits().train
    rng = np.random.default_rng(0)
    ours, theirs = [], []
    for step in range(20):
        lr = 0.1 if step < 15 else 0.01
        ix = rng.integers(0, len(X), 32)
        loss, dlogits = mf.cross_entropy(model(X[ix]), Y[ix])
        model.zero_grad()
        model.backward(dlogits)
        for p in model.parameters():
            p.data += -lr * p.grad
        ours.append(loss)

        tloss = F.cross_entropy(net(torch.from_numpy(X[ix])), torch.from_numpy(Y[ix]))
        for p in net.parameters():
            p.grad = None
        tloss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p += -lr * p.grad
        theirs.append(tloss.item())
    np.testing.assert_allclose(ours, theirs, rtol=TOL[dtype]["rtol"])
    for key, value in torch_state(net).items():
        np.testing.assert_allclose(mf.to_torch_state_dict(model)[key], value,
                                   rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)


def test_load_torch_state_dict_takes_tensors():
    pytest.importorskip("torch")
    source = trained_model(np.float32)
    net = to_torch(source)
    target = mf.lecture_mlp(n_hidden=40, n_layers=3, seed=9)
    mf.load_torch_state_dict(target, net.state_dict())
    X = np.random.default_rng(3).integers(0, 27, (16, 3))
    np.testing.assert_array_equal(target.infer(X), source.infer(X))
    assert net.training == source.training


def test_unbiased_batchnorm_is_never_silently_torch():
    """torch.nn.BatchNorm1d has no unbiased mode: the state_dict warns, to_torch
    refuses, and loading a torch state_dict into an unbiased model is quiet."""
    model = mf.lecture_mlp(n_hidden=8, n_layers=1, seed=0, unbiased=True)
    with pytest.warns(UserWarning, match=r"layers \[2, 5\] are BatchNorm1d\(unbiased=True\)"):
        sd = mf.to_torch_state_dict(model)
    assert sd.keys() == mf.to_torch_state_dict(mf.lecture_mlp(n_hidden=8, n_layers=1)).keys()
    with pytest.raises(ValueError, match="unbiased=True.*biased variance"):
        to_torch(model)                       # refused before torch is imported
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mf.load_torch_state_dict(model, sd)

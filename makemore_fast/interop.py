"""PyTorch interop without depending on torch: state_dicts as NumPy arrays.

A Sequential of Embedding, Linear, BatchNorm1d and Tanh layers corresponds to
torch.nn.Sequential(Embedding, Flatten, Linear, BatchNorm1d, Tanh, ...): each
Embedding is followed by a Flatten (our Embedding concatenates the context),
so torch's module indices run one ahead after it.  Linear weights are stored
transposed, (out, in), as torch keeps them; BatchNorm's gamma and beta are
torch's weight and bias.

torch.nn.BatchNorm1d normalises with the biased batch variance only: a
BatchNorm1d(unbiased=True) has no torch equivalent in training.  `to_torch`
refuses it; `to_torch_state_dict` gives its arrays (the same in both
conventions) with a UserWarning.
"""
import warnings

import numpy as np

from .nn import BatchNorm1d, Embedding, Linear, Tanh


def to_torch_state_dict(model):
    """The state_dict of the equivalent torch.nn.Sequential, as NumPy arrays.

    Same keys, order, shapes and layouts as torch's `state_dict()`; arrays are
    copies.  Load it with `{k: torch.from_numpy(v) for k, v in sd.items()}`.
    Warns (UserWarning) for a BatchNorm1d(unbiased=True), whose training
    torch's BatchNorm1d does not reproduce.
    """
    unbiased = _unbiased_layers(model)
    if unbiased:
        warnings.warn(f"layers {unbiased} are BatchNorm1d(unbiased=True): torch's "
                      f"BatchNorm1d normalises with the biased variance, so the same "
                      f"state trains differently there", UserWarning, stacklevel=2)
    return _state_dict(model)


def _state_dict(model):
    """to_torch_state_dict without the warning (loading into a model, or
    `to_torch`, which refuses unbiased layers itself)."""
    sd = {}
    for layer, k in _torch_indices(model):
        if isinstance(layer, Embedding):
            sd[f"{k}.weight"] = layer.weight.data.copy()
        elif isinstance(layer, Linear):
            sd[f"{k}.weight"] = np.ascontiguousarray(layer.weight.data.T)
            if layer.bias is not None:
                sd[f"{k}.bias"] = layer.bias.data.copy()
        elif isinstance(layer, BatchNorm1d):
            sd[f"{k}.weight"] = layer.gamma.data.copy()
            sd[f"{k}.bias"] = layer.beta.data.copy()
            sd[f"{k}.running_mean"] = layer.running_mean.copy()
            sd[f"{k}.running_var"] = layer.running_var.copy()
            sd[f"{k}.num_batches_tracked"] = np.array(layer.num_batches_tracked, np.int64)
    return sd


def load_torch_state_dict(model, state_dict):
    """Load a torch.nn.Sequential's state_dict (tensors or arrays) into `model`, in place.

    Strict, as torch's load_state_dict(strict=True): every key must be there,
    no other, each with the expected shape; values are cast to the model's
    dtype.  Raises ValueError, changing nothing, otherwise.
    """
    expected = _state_dict(model)
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    if missing or unexpected:
        raise ValueError(f"state_dict does not match the model: missing keys {missing}, "
                         f"unexpected keys {unexpected}")
    values = {key: _to_numpy(value) for key, value in state_dict.items()}
    for key, ref in expected.items():
        if values[key].shape != ref.shape:
            raise ValueError(f"{key} has shape {values[key].shape}, expected {ref.shape}")
    state = {}
    for i, (layer, k) in enumerate(_torch_indices(model)):
        if isinstance(layer, Embedding):
            state[f"layers.{i}.weight"] = values[f"{k}.weight"]
        elif isinstance(layer, Linear):
            state[f"layers.{i}.weight"] = values[f"{k}.weight"].T
            if layer.bias is not None:
                state[f"layers.{i}.bias"] = values[f"{k}.bias"]
        elif isinstance(layer, BatchNorm1d):
            state[f"layers.{i}.gamma"] = values[f"{k}.weight"]
            state[f"layers.{i}.beta"] = values[f"{k}.bias"]
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                state[f"layers.{i}.{name}"] = values[f"{k}.{name}"]
    model.load_state_dict(state)


def to_torch(model):
    """The equivalent torch.nn.Sequential holding a copy of the model's state.

    Needs torch (an optional dependency: imported here only).  The torch model
    has the model's dtype and training mode.  A BatchNorm1d(unbiased=True) has
    no torch equivalent: ValueError.
    """
    unbiased = _unbiased_layers(model)
    if unbiased:
        raise ValueError(f"layers {unbiased} are BatchNorm1d(unbiased=True), which "
                         f"torch.nn.BatchNorm1d cannot reproduce (it normalises with the "
                         f"biased variance): rebuild them with unbiased=False first")
    import torch

    modules = []
    for layer in model.layers:
        if isinstance(layer, Embedding):
            modules += [torch.nn.Embedding(layer.num_embeddings, layer.embedding_dim),
                        torch.nn.Flatten()]
        elif isinstance(layer, Linear):
            modules.append(torch.nn.Linear(layer.fan_in, layer.fan_out,
                                           bias=layer.bias is not None))
        elif isinstance(layer, BatchNorm1d):
            modules.append(torch.nn.BatchNorm1d(layer.dim, eps=layer.eps,
                                                momentum=layer.momentum))
        else:
            modules.append(torch.nn.Tanh())
    net = torch.nn.Sequential(*modules).to(getattr(torch, model.dtype.name))
    net.load_state_dict({k: torch.from_numpy(v)
                         for k, v in _state_dict(model).items()}, strict=True)
    return net.train(model.training)


def _unbiased_layers(model):
    return [i for i, layer in enumerate(model.layers)
            if isinstance(layer, BatchNorm1d) and layer.unbiased]


def _torch_indices(model):
    """(layer, index of its module in the torch Sequential) for each layer."""
    k = 0
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, (Embedding, Linear, BatchNorm1d, Tanh)):
            raise TypeError(f"layers[{i}] ({type(layer).__name__}) has no torch equivalent")
        yield layer, k
        k += 2 if isinstance(layer, Embedding) else 1


def _to_numpy(value):
    """A NumPy view of a tensor (detached, on the CPU) or an array-like."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)

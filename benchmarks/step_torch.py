"""The PyTorch side of bench_train_step.py: the lecture's own classes and
loop on torch tensors (verbatim in spirit), and the same loop over torch.nn
modules, from a makemore_fast model's weights."""
import makemore_fast as mf


def lecture_layers(model, torch):
    """The lecture's (C, layers) holding a copy of `model`'s weights."""

    class Linear:
        def __init__(self, weight):
            self.weight = torch.tensor(weight)
            self.bias = None

        def __call__(self, x):
            self.out = x @ self.weight
            return self.out

        def parameters(self):
            return [self.weight]

    class BatchNorm1d:
        def __init__(self, gamma, beta, eps=1e-5, momentum=0.1):
            self.eps, self.momentum, self.training = eps, momentum, True
            self.gamma, self.beta = torch.tensor(gamma), torch.tensor(beta)
            self.running_mean = torch.zeros(len(gamma))
            self.running_var = torch.ones(len(gamma))

        def __call__(self, x):
            if self.training:
                xmean = x.mean(0, keepdim=True)
                xvar = x.var(0, keepdim=True)
            else:
                xmean, xvar = self.running_mean, self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
            self.out = self.gamma * xhat + self.beta
            if self.training:
                with torch.no_grad():
                    self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                    self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
            return self.out

        def parameters(self):
            return [self.gamma, self.beta]

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

        def parameters(self):
            return []

    layers = []
    for layer in model.layers[1:]:
        if isinstance(layer, mf.Linear):
            layers.append(Linear(layer.weight.data))
        elif isinstance(layer, mf.BatchNorm1d):
            layers.append(BatchNorm1d(layer.gamma.data, layer.beta.data))
        else:
            layers.append(Tanh())
    return torch.tensor(model.layers[0].weight.data), layers


class LectureLoop:
    """The lecture's training loop, one call = `steps` steps."""

    def __init__(self, model, Xtr, Ytr, torch, modules=False, seed=42):
        import torch.nn.functional as F
        self.torch, self.F = torch, F
        self.Xtr, self.Ytr = torch.from_numpy(Xtr), torch.from_numpy(Ytr)
        self.g = torch.Generator().manual_seed(seed)
        if modules:          # the same loop over torch.nn modules
            self.net = mf.interop.to_torch(model)
            self.parameters = list(self.net.parameters())
        else:
            C, self.layers = lecture_layers(model, torch)
            self.C = C
            self.parameters = [C] + [p for layer in self.layers for p in layer.parameters()]
            self.net = self._forward
        for p in self.parameters:
            p.requires_grad = True
        self.i = 0
        self.lossi = []

    def _forward(self, Xb):
        emb = self.C[Xb]
        x = emb.view(emb.shape[0], -1)
        for layer in self.layers:
            x = layer(x)
        return x

    def run(self, steps, batch_size=32, decay_step=150_000):
        torch, F = self.torch, self.F
        for _ in range(steps):
            ix = torch.randint(0, self.Xtr.shape[0], (batch_size,), generator=self.g)
            Xb, Yb = self.Xtr[ix], self.Ytr[ix]
            logits = self.net(Xb)
            loss = F.cross_entropy(logits, Yb)
            for p in self.parameters:
                p.grad = None
            loss.backward()
            lr = 0.1 if self.i < decay_step else 0.01
            for p in self.parameters:
                p.data += -lr * p.grad
            self.lossi.append(loss.log10().item())
            self.i += 1

    def split_loss(self, X, Y):
        torch = self.torch
        with torch.no_grad():
            if isinstance(self.net, torch.nn.Module):
                self.net.eval()
                logits = self.net(torch.from_numpy(X))
                self.net.train()
            else:
                for layer in self.layers:
                    layer.training = False
                logits = self._forward(torch.from_numpy(X))
                for layer in self.layers:
                    layer.training = True
            return self.F.cross_entropy(logits, torch.from_numpy(Y)).item()

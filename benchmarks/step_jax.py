"""The JAX side of bench_train_step.py (optional): the same step in
jax.numpy with jax.grad, under jax.jit (one call per step) and under
jax.lax.scan (many steps per call)."""
import numpy as np

import makemore_fast as mf


def optional_jax():
    """jax, or None when it is not installed."""
    try:
        import jax
    except ImportError:
        return None
    return jax


def _jax_params(model, jnp):
    """model's weights as JAX arrays: (table, [W], [gamma], [beta], [rm], [rv])."""
    table = jnp.asarray(model.layers[0].weight.data)
    Ws, gammas, betas, rms, rvs = [], [], [], [], []
    for layer in model.layers[1:]:
        if isinstance(layer, mf.Linear):
            Ws.append(jnp.asarray(layer.weight.data))
        elif isinstance(layer, mf.BatchNorm1d):
            gammas.append(jnp.asarray(layer.gamma.data))
            betas.append(jnp.asarray(layer.beta.data))
            rms.append(jnp.asarray(layer.running_mean))
            rvs.append(jnp.asarray(layer.running_var))
    return (table, Ws, gammas, betas), (rms, rvs)


def jax_step_fn(jax, momentum=0.1, eps=1e-5):
    """step(params, stats, xb, yb, lr) -> (params, stats, loss): the lecture's
    step (torch.nn.BatchNorm1d's rule: biased variance to normalise, the
    unbiased one into running_var), gradients by jax.value_and_grad."""
    jnp = jax.numpy

    def loss_fn(params, xb, yb):
        table, Ws, gammas, betas = params
        h = table[xb].reshape(xb.shape[0], -1)
        batch = []
        for i, (w, g, b) in enumerate(zip(Ws, gammas, betas)):
            pre = h @ w
            mean = pre.mean(0)
            var = pre.var(0)
            h = g * (pre - mean) * jax.lax.rsqrt(var + eps) + b
            if i + 1 < len(Ws):
                h = jnp.tanh(h)
            batch.append((mean, var))
        logp = jax.nn.log_softmax(h)
        loss = -jnp.take_along_axis(logp, yb[:, None], axis=1).mean()
        return loss, batch

    def step(params, stats, xb, yb, lr):
        (loss, batch), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, xb, yb)
        params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
        n = xb.shape[0]
        rms, rvs = stats
        rms = [(1 - momentum) * rm + momentum * jax.lax.stop_gradient(m)
               for rm, (m, _) in zip(rms, batch)]
        rvs = [(1 - momentum) * rv + momentum * jax.lax.stop_gradient(v) * n / (n - 1)
               for rv, (_, v) in zip(rvs, batch)]
        return params, (rms, rvs), loss
    return step


def jax_runners(jax, model, Xtr, Ytr, scan_steps, seed=42, batch_size=32):
    """{name: run(steps)} for the step under jax.jit (indices drawn by NumPy,
    one call per step) and `scan_steps` steps per jax.jit(lax.scan) call
    (indices drawn by NumPy beforehand, like makemore_fast.train's)."""
    jnp = jax.numpy
    step = jax_step_fn(jax)
    X, Y = jnp.asarray(Xtr), jnp.asarray(Ytr)
    rng = np.random.default_rng(seed)

    jit_state = list(_jax_params(model, jnp))
    jit_step = jax.jit(step)

    def run_jit(steps):
        params, stats = jit_state
        loss = None
        for _ in range(steps):
            ix = rng.integers(0, len(Xtr), batch_size)
            params, stats, loss = jit_step(params, stats, Xtr[ix], Ytr[ix], 0.1)
        loss.block_until_ready()
        jit_state[:] = params, stats

    def scan_body(carry, ix):
        params, stats = carry
        params, stats, loss = step(params, stats, X[ix], Y[ix], 0.1)
        return (params, stats), loss

    scan_state = [_jax_params(model, jnp)]
    scan = jax.jit(lambda carry, ixs: jax.lax.scan(scan_body, carry, ixs))

    def run_scan(steps):
        done = 0
        while done < steps:            # whole calls of scan_steps steps (one shape)
            ixs = rng.integers(0, len(Xtr), (scan_steps, batch_size))
            carry, losses = scan(scan_state[0], ixs)
            losses.block_until_ready()
            scan_state[0] = carry
            done += scan_steps

    return {"jax, jax.jit per step": run_jit,
            f"jax, lax.scan of {scan_steps} steps/call": run_scan}

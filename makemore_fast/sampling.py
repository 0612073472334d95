"""Sampling names from a trained model: the lecture's generation loop, batched."""
import numpy as np

from .data import NAMES_VOCAB
from .threads import one_blas_thread

MAX_LENGTH = 256   # characters per sample: a bound for models that never emit '.'


def sample(model, n=20, seed=None):
    """n words drawn from the model in eval mode; reproducible for a given seed.

    Each word starts from a context of '.' and draws one character at a time
    from softmax(logits) until '.' (not included in the word) or MAX_LENGTH
    characters.  All n words are generated together, one batched forward per
    character, through `model.folded()` (each BatchNorm1d folded into its
    Linear, from the parameters as they are at the call) with BLAS on one
    thread.  The model's `vocab` decodes them; a model without one must have
    the names' 27 outputs ('.', a..z).  Nothing about the model changes.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    T = model.block_size
    if T is None:
        raise ValueError("model has no block size: sampling needs an Embedding first, "
                         "followed by a Linear")
    vocab = NAMES_VOCAB if model.vocab is None else model.vocab
    V = model.layers[0].num_embeddings
    if len(vocab) != V:
        raise ValueError(f"the model has {V} tokens but its vocabulary {vocab!r} has "
                         f"{len(vocab)}: set model.vocab")
    forward = model.folded()                   # BatchNorm folded once, for every character
    rng = np.random.default_rng(seed)
    codes = np.zeros((n, MAX_LENGTH), np.int64)   # 0 ('.') after each word's end
    alive = np.arange(n)                       # the rows still generating
    context = np.zeros((n, T), np.int64)       # and their contexts
    with one_blas_thread():
        for t in range(MAX_LENGTH):
            if alive.size == 0:
                break
            logits = forward(context).astype(np.float64)
            probs = np.exp(logits - logits.max(1, keepdims=True))
            cdf = np.cumsum(probs, 1)
            # Inverse-CDF draw: the first index whose cumulative probability exceeds u.
            u = rng.random(alive.size) * cdf[:, -1]
            ix = np.minimum((cdf <= u[:, None]).sum(1), V - 1)
            codes[alive, t] = ix
            going = ix != 0
            alive = alive[going]
            context = np.concatenate((context[going, 1:], ix[going, None]), axis=1)
    return _decode(codes[:, :t + 1], vocab)     # the columns written


def _decode(codes, vocab):
    """The word of each row of codes: its characters up to the first '.' (code 0)."""
    rows = np.array(vocab.itos)[codes].tolist()
    return ["".join(row).partition(".")[0] for row in rows]

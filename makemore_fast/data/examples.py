"""Training examples: (context of block_size characters -> next character), and the split."""
import random
from typing import NamedTuple

import numpy as np

from ..validation import positive_int
from .vocab import Vocab, build_vocab
from .words import load_names


def build_dataset(words, block_size, vocab=None):
    """X int64 (N, block_size), Y int64 (N,): the lecture's build_dataset, vectorised.

    Each word w gives len(w) + 1 examples: the context starts as block_size
    '.' (index 0) and slides over w + '.'.  `vocab` defaults to
    build_vocab(words); pass the vocabulary of the whole data set when
    building a split.
    """
    T = positive_int(block_size, "block_size")
    words = list(words)
    vocab = build_vocab(words) if vocab is None else vocab
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    lengths = np.fromiter(map(len, words), np.int64, len(words))
    n = int(lengths.sum()) + len(words)                 # len(w) + 1 examples per word
    if n == 0:
        return np.zeros((0, T), np.int64), np.zeros(0, np.int64)
    ids = _encode("".join(words), vocab)

    # Lay the words out as one sequence, each padded as [0]*T + w + [0]: word k's
    # examples are then the windows of length T+1 starting at its offset + 0..len(w).
    padded = lengths + T + 1
    offsets = np.cumsum(padded) - padded
    seq = np.zeros(int(padded.sum()), np.int64)
    char_word = np.repeat(np.arange(len(words)), lengths)
    char_pos = np.arange(len(ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    seq[offsets[char_word] + T + char_pos] = ids
    example_word = np.repeat(np.arange(len(words)), lengths + 1)
    first_example = np.cumsum(lengths + 1) - (lengths + 1)
    starts = offsets[example_word] + np.arange(n) - first_example[example_word]
    X = seq[starts[:, None] + np.arange(T)]
    Y = seq[starts + T]
    return X, Y


def _encode(text, vocab):
    """The vocabulary index of each character of `text`, as int64."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    known = np.array([ord(ch) for ch in vocab.itos[1:]], dtype=np.uint32)
    order = np.argsort(known)
    pos = np.searchsorted(known[order], codes).clip(0, len(known) - 1)
    found = known[order][pos] == codes
    if not found.all():
        bad = chr(int(codes[np.argmin(found)]))
        raise ValueError(f"character {bad!r} is not in the vocabulary {vocab!r}")
    return order[pos].astype(np.int64) + 1


def split_words(words, seed=42):
    """(train, val, test) word lists, 80/10/10, exactly as the lecture splits them.

    The lecture's `random.seed(42); random.shuffle(words); n1 = int(0.8*len(words));
    n2 = int(0.9*len(words))`, on a private random.Random(seed): the global
    random state and `words` are left alone.
    """
    words = list(words)
    random.Random(seed).shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return words[:n1], words[n1:n2], words[n2:]


class Splits(NamedTuple):
    """The lecture's data: train / val / test as (X, Y) pairs, and the vocabulary."""
    train: tuple
    val: tuple
    test: tuple
    vocab: Vocab


def load_splits(path=None, block_size=3, seed=42):
    """Words of `path` (default: the bundled names) -> the lecture's three splits.

    The vocabulary comes from all the words; with the defaults the splits hold
    182,625 / 22,655 / 22,866 examples (Xtr/Ytr, Xdev/Ydev, Xte/Yte).
    """
    words = load_names(path)
    vocab = build_vocab(words)
    parts = [build_dataset(part, block_size, vocab) for part in split_words(words, seed)]
    return Splits(*parts, vocab)

"""The names dataset and the lecture's data pipeline.

    from makemore_fast.data import load_names, build_vocab, build_dataset, split_words
    words = load_names()                       # the bundled names.txt (see README.md)
    vocab = build_vocab(words)                 # '.' = 0, a..z = 1..26
    train, val, test = split_words(words)      # the lecture's shuffle, 80/10/10
    Xtr, Ytr = build_dataset(train, 3, vocab)  # (182625, 3), (182625,)

`words.py` reads word files, `vocab.py` holds the vocabulary, `examples.py`
builds the (context -> next character) examples and the split.
"""
from .examples import Splits, build_dataset, load_splits, split_words
from .vocab import NAMES_VOCAB, Vocab, build_vocab
from .words import load_names

__all__ = ["load_names", "build_vocab", "build_dataset", "split_words", "load_splits",
           "Splits", "Vocab", "NAMES_VOCAB"]

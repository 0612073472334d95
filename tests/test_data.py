"""The data pipeline: names file, vocabulary, examples, the lecture's split."""
import hashlib
import random

import numpy as np
import pytest

from makemore_fast.data import (NAMES_VOCAB, Vocab, build_dataset, build_vocab, load_names,
                                load_splits, split_words)


def lecture_build_dataset(words, block_size, stoi):
    """The lecture's own loop, the oracle."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return np.array(X, np.int64).reshape(-1, block_size), np.array(Y, np.int64)


def test_bundled_names():
    words = load_names()
    assert len(words) == 32_033
    assert words[:3] == ["emma", "olivia", "ava"]
    from importlib import resources
    raw = resources.files("makemore_fast.data").joinpath("names.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == (
        "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d")


def test_vocab_of_the_names():
    vocab = build_vocab(load_names())
    assert vocab == NAMES_VOCAB and len(vocab) == 27
    assert vocab.stoi["."] == 0 and vocab.stoi["a"] == 1 and vocab.itos[26] == "z"
    assert vocab.decode(vocab.encode("emma")) == "emma"
    with pytest.raises(KeyError, match="'A'"):
        vocab.encode("Anna")


def test_split_reproduces_the_lecture():
    words = load_names()
    train, val, test = split_words(words)
    expected = list(words)
    state = random.getstate()
    random.seed(42)
    random.shuffle(expected)
    random.setstate(state)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    assert (train, val, test) == (expected[:n1], expected[n1:n2], expected[n2:])
    assert words == load_names()                  # the input is not shuffled in place


def test_split_leaves_global_random_alone():
    state = random.getstate()
    split_words(["a", "b", "c"], seed=1)
    assert random.getstate() == state


def test_split_sizes_at_block_size_3():
    splits = load_splits()
    assert [len(X) for X, _ in splits[:3]] == [182_625, 22_655, 22_866]
    for X, Y in splits[:3]:
        assert X.dtype == Y.dtype == np.int64 and X.shape[1] == 3 and Y.ndim == 1


@pytest.mark.parametrize("block_size", [1, 3, 8])
def test_build_dataset_matches_the_lecture_loop(block_size):
    words = load_names()[:500] + ["a", "zz"]
    vocab = build_vocab(words)
    X, Y = build_dataset(words, block_size, vocab)
    eX, eY = lecture_build_dataset(words, block_size, vocab.stoi)
    np.testing.assert_array_equal(X, eX)
    np.testing.assert_array_equal(Y, eY)


def test_any_utf8_word_file(tmp_path):
    path = tmp_path / "words.txt"
    path.write_bytes("\ufeffzoë\r\n\r\n  ångström \nyi\n".encode())
    words = load_names(path)
    assert words == ["zoë", "ångström", "yi"]
    vocab = build_vocab(words)
    assert vocab.itos[0] == "." and list(vocab.itos[1:]) == sorted(set("zoëångströmyi"))
    X, Y = build_dataset(words, 2, vocab)
    eX, eY = lecture_build_dataset(words, 2, vocab.stoi)
    np.testing.assert_array_equal(X, eX)
    np.testing.assert_array_equal(Y, eY)


def test_unknown_character_is_named():
    with pytest.raises(ValueError, match="'q'"):
        build_dataset(["aq"], 3, Vocab(".a"))


@pytest.mark.parametrize("content, message", [
    (b"", "no word"),
    (b"\n  \n\t\n", "no word"),
    (b"ann\n\xff\xfe\n", "not UTF-8"),
    (b"ann\nst.john\n", "line 2"),
])
def test_unusable_files_get_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_names(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_names(tmp_path / "nope.txt")
    with pytest.raises(IsADirectoryError):
        load_names(tmp_path)


def test_vocab_validation():
    with pytest.raises(ValueError, match="starts with"):
        Vocab("ab")
    with pytest.raises(ValueError, match="repeats"):
        Vocab(".aa")
    with pytest.raises(ValueError, match="reserved"):
        build_vocab(["a.b"])


def test_empty_word_list():
    X, Y = build_dataset([], 3, NAMES_VOCAB)
    assert X.shape == (0, 3) and Y.shape == (0,)

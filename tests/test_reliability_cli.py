"""The makemore-fast command under bad input: fuzzed command lines, bad data
files and bad checkpoints give one line on stderr and exit status 2, never a
traceback, and write nothing; unusual but valid words (capitals, accents,
digits, other scripts) train. (The fixed list of bad arguments is in
test_cli.py.)"""
import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import makemore_fast as mf
from makemore_fast import cli

PACKAGE_ROOT = str(Path(mf.__file__).resolve().parent.parent)
TINY = ["--steps", "5", "--batch-size", "4", "--n-hidden", "8", "--n-layers", "1",
        "--seed", "0"]


def run(argv):
    """main(argv): (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def assert_one_line_error(status, out, err):
    assert status == 2, (status, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("makemore-fast: error: "), err
    assert out == ""


# ---------------------------------------------------------------------------
# fuzzed command lines (the commands themselves replaced by checks of what
# they were given: what reaches them must be what --help promises)

def accept_train(args):
    assert args.steps >= 0 and args.batch_size >= 2 and args.n_hidden >= 1
    assert args.n_layers >= 0 and 0 < args.lr < float("inf") and args.dtype in (
        "float32", "float64")
    assert args.seed is None or args.seed >= 0
    return 0


def accept_sample(args):
    assert args.n >= 0 and isinstance(args.checkpoint, str)
    return 0


def accept_bench(args):
    assert args.repeats >= 1
    return 0


VALUES = st.sampled_from(["0", "1", "2", "-1", "32", "0.1", "1e-3", "1e400", "-0", "nan",
                          "inf", "-inf", "", " ", "0x10", "1_000", "٣", "9" * 30, "abc",
                          "float16", "float64", "--", "-", "x.npz", "é"])
OPTIONS = st.sampled_from(["--steps", "--batch-size", "--lr", "--n-hidden", "--n-layers",
                           "--seed", "--data", "--dtype", "--out", "--diagnose-init",
                           "--checkpoint", "-n", "--large", "--threads", "--repeats",
                           "--stpes", "-x", "--lr=0.5", "--steps=", "--help"])
COMMANDS = st.sampled_from(["train", "sample", "bench", "trian"])


@st.composite
def command_lines(draw):
    """A command, options with values, and now and then a stray token."""
    argv = [draw(COMMANDS)]
    for _ in range(draw(st.integers(0, 4))):
        argv += [draw(OPTIONS), draw(VALUES)]
    if draw(st.integers(0, 3)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(st.one_of(OPTIONS, VALUES)))
    return argv


@given(argv=command_lines())
def test_fuzzed_command_lines_run_or_fail_in_one_line(argv):
    with mock.patch.multiple(cli, _train=accept_train, _sample=accept_sample,
                             _bench=accept_bench):
        try:
            status, out, err = run(argv)
        except SystemExit as e:                   # --help: the usage, status 0
            assert e.code == 0
            return
    if status != 0:
        assert_one_line_error(status, out, err)


# ---------------------------------------------------------------------------
# bad data files and checkpoints

def write_bad_data(tmp_path, kind):
    path = tmp_path / "words.txt"
    if kind == "binary":
        path.write_bytes(np.random.default_rng(0).bytes(500))
    elif kind == "latin-1":
        path.write_bytes("zoë\njosé\nrenée\n".encode("latin-1") * 10)
    elif kind == "a directory":
        path.mkdir()
    elif kind == "a dot in a word":
        path.write_text("anna\nmary.jane\nbob\n")
    elif kind == "too few words":
        path.write_text("anna\nbob\n")
    elif kind == "only a BOM and blanks":
        path.write_text("\ufeff\n  \n\t\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["binary", "latin-1", "a directory", "a dot in a word",
                                  "too few words", "only a BOM and blanks"])
def test_bad_data_file_fails_in_one_line_and_writes_nothing(tmp_path, kind):
    data = write_bad_data(tmp_path, kind)
    out_dir = tmp_path / "out"
    assert_one_line_error(*run(["train", "--data", str(data), "--out", str(out_dir), *TINY]))
    assert not out_dir.exists()


def write_bad_checkpoint(tmp_path, kind):
    path = tmp_path / "model.npz"
    if kind == "random bytes":
        path.write_bytes(np.random.default_rng(1).bytes(2000))
    elif kind == "a foreign npz":
        np.savez(path, weights=np.zeros((3, 3)))
    elif kind == "a text file":
        path.write_text("anna\nbob\n")
    elif kind == "a directory":
        path.mkdir()
    else:
        model = mf.lecture_mlp(n_hidden=8, n_layers=1, seed=0)
        model.vocab = mf.data.NAMES_VOCAB
        mf.save(model, path)
        raw = path.read_bytes()
        path.write_bytes(raw[:len(raw) * 2 // 3] if kind == "truncated" else b"")
    return path


@pytest.mark.parametrize("kind", ["random bytes", "a foreign npz", "a text file",
                                  "a directory", "truncated", "empty"])
def test_bad_checkpoint_fails_in_one_line(tmp_path, kind):
    path = write_bad_checkpoint(tmp_path, kind)
    assert_one_line_error(*run(["sample", "--checkpoint", str(path)]))


def test_no_traceback_through_the_module(tmp_path):
    data = write_bad_data(tmp_path, "binary")
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    result = subprocess.run([sys.executable, "-m", "makemore_fast", "train", "--data",
                             str(data), *TINY], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("option,value", [("--n-hidden", "1000000"),
                                          ("--steps", "1000000000000"),
                                          ("--batch-size", "100000000000")])
def test_sizes_too_large_for_memory_fail_in_one_line(tmp_path, option, value):
    argv = ["train", *TINY, option, value, "--out", str(tmp_path / "out")]
    assert_one_line_error(*run(argv))


# ---------------------------------------------------------------------------
# unusual but valid words

UNUSUAL = {
    "capitals": ["Anna", "BOB", "Carla", "DeShawn", "Eve", "McKay", "OBrien", "Zed"],
    "accents": ["zoë", "josé", "renée", "Ünal", "Åsa", "Bjørn", "Łukasz", "Ægir", "Noël"],
    "digits": ["r2d2", "c3po", "bb8", "k2so", "ig88", "4lom", "1138", "zuckuss"],
    "other scripts": ["さくら", "太郎", "Дмитрий", "Νίκος", "أحمد", "🙂ok", "a b"],
}


@pytest.mark.parametrize("kind", list(UNUSUAL))
def test_unusual_words_train_and_sample(tmp_path, kind):
    words = UNUSUAL[kind] * 4
    data = tmp_path / "words.txt"
    data.write_bytes(("\ufeff" + "\r\n".join(words) + "\r\n").encode("utf-8"))
    out_dir = tmp_path / "out"
    status, out, err = run(["train", "--data", str(data), "--out", str(out_dir), *TINY])
    assert status == 0, err
    model = mf.load(out_dir / "model.npz")
    assert set(model.vocab.itos) == {".", *"".join(words)}
    status, out, err = run(["sample", "--checkpoint", str(out_dir / "model.npz"), "-n", "10",
                            "--seed", "1"])
    assert status == 0, err
    names = out.splitlines()
    assert len(names) == 10 and set("".join(names)) <= set("".join(words))

"""The makemore-fast command: a short training run, sampling, and the error paths.

Under bad input (a fixed list, then fuzzed command lines, bad data files and
bad checkpoints) it gives one line on stderr and exit status 2, never a
traceback, and writes nothing; unusual but valid words (capitals, accents,
digits, other scripts) train."""
import io
import json
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
from makemore_fast.cli import main

# The source tree holding the package under test, for the subprocess runs.
PACKAGE_ROOT = str(Path(mf.__file__).resolve().parent.parent)


def run_module(*args, cwd):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    return subprocess.run([sys.executable, "-m", "makemore_fast", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_train_then_sample_end_to_end(tmp_path):
    result = run_module("train", "--steps", "300", "--n-hidden", "32", "--n-layers", "2",
                        "--seed", "1", "--out", "run", "--diagnose-init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "train loss" in out and "val loss" in out and "seed 1" in out
    samples = out.split("samples:\n")[1].split("checkpoint:")[0].split("\n")
    assert len([s for s in samples if s.strip()]) == 20
    assert "300/300" in result.stderr                          # the progress bar
    checkpoint = tmp_path / "run" / "model.npz"
    assert checkpoint.exists()
    assert "health check" in out and "diagnostics report:" in out
    pictures = {"activations.png", "gradients.png", "weight_gradients.png",
                "update_ratios.png", "loss.png"}
    for report_dir in (tmp_path / "run", tmp_path / "run" / "init"):
        assert (report_dir / "report.md").exists()
        assert pictures <= {p.name for p in report_dir.iterdir()}

    first = run_module("sample", "--checkpoint", str(checkpoint), "-n", "7", "--seed", "3",
                       cwd=tmp_path)
    again = run_module("sample", "--checkpoint", str(checkpoint), "-n", "7", "--seed", "3",
                       cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.splitlines()) == 7 and first.stdout == again.stdout


def test_custom_data_and_dtype(tmp_path, capsys):
    data = tmp_path / "words.txt"
    data.write_text("\n".join(["anna", "bob", "carla", "dave", "eve", "fay", "gus", "hal",
                               "ida", "jo", "kim", "lea"] * 3))
    code = main(["train", "--data", str(data), "--steps", "20", "--batch-size", "4",
                 "--n-hidden", "8", "--n-layers", "1", "--dtype", "float64",
                 "--seed", "0", "--out", str(tmp_path / "o")])
    assert code == 0
    model = mf.load(tmp_path / "o" / "model.npz")
    assert model.dtype == "float64" and len(model.vocab) == len(set("".join(
        data.read_text().split()))) + 1


@pytest.mark.parametrize("argv, message", [
    (["train", "--steps", "-5"], "--steps"),
    (["train", "--steps", "many"], "--steps"),
    (["train", "--batch-size", "1"], "BatchNorm"),
    (["train", "--lr", "-0.1"], "--lr"),
    (["train", "--dtype", "float16"], "--dtype"),
    (["train", "--data", "{missing}"], "not found"),
    (["train", "--data", "{empty}"], "no word"),
    (["train", "--out", "{a_file}"], "not a directory"),
    (["sample", "--checkpoint", "{missing}"], "not found"),
    (["sample", "--checkpoint", "{empty}"], "not a makemore_fast checkpoint"),
    (["sample"], "--checkpoint"),
    (["sample", "--checkpoint", "x", "-n", "-1"], "-n"),
    (["fly"], "invalid choice"),
    ([], "required"),
])
def test_errors_are_one_line_with_status_2(tmp_path, capsys, argv, message):
    files = {"missing": tmp_path / "missing.txt", "empty": tmp_path / "empty.txt",
             "a_file": tmp_path / "a_file"}
    files["empty"].write_text("\n\n")
    files["a_file"].write_text("x")
    argv = [a.format(**files) for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("makemore-fast: error:")
    assert message in lines[0] and "Traceback" not in captured.err
    assert captured.out == ""


def test_error_through_the_module_has_no_traceback(tmp_path):
    result = run_module("train", "--steps", "-1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    assert "--n-layers" in capsys.readouterr().out


def test_bench_writes_table_json_and_chart(tmp_path, capsys):
    assert main(["bench", "--repeats", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "linear_bn_tanh fwd+bwd" in out and "speedup" in out and "sgemm peak" in out
    results = json.loads((tmp_path / "bench.json").read_text())
    assert {"op", "shape", "reference_us", "fast_us", "speedup"} <= set(results["rows"][0])
    ops_measured = {(row["op"], row["shape"]) for row in results["rows"]}
    for op, shape in [("linear_bn_tanh fwd+bwd", "32x100x100"),
                      ("linear_bn_tanh fwd+bwd", "2x1x1"),
                      ("linear_tanh fwd+bwd", "32x30x200"), ("linear_tanh fwd+bwd", "32x100x100"),
                      ("linear backward (dx, dW)", "32x100x100"), ("embedding forward", None),
                      ("embedding backward", None), ("cross_entropy", None),
                      ("sgd_update", None)]:     # every kernel of the lecture's step
        assert any(o == op and shape in (None, s) for o, s in ops_measured), (op, shape)
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


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

"""The makemore-fast command: a short training run, sampling, and the error paths."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import makemore_fast
from makemore_fast.cli import main

# The source tree holding the package under test, for the subprocess runs.
PACKAGE_ROOT = str(Path(makemore_fast.__file__).resolve().parent.parent)


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
    model = makemore_fast.load(tmp_path / "o" / "model.npz")
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
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""makemore-fast sweep: a tiny grid end to end, and its error paths (one line,
exit status 2)."""
import csv
import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

from makemore_fast import cli


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def test_grid_end_to_end_then_resume(tmp_path):
    argv = ["sweep", "--grid", "gain=1,5/3", "n_layers=1", "n_hidden=16", "--steps", "200",
            "--seed", "3", "--workers", "2", "--out", str(tmp_path)]
    status, out, err = run(argv)
    assert status == 0, err
    assert "gain=1 n_layers=1 n_hidden=16" in out and "2 of 2 configs finished" in out
    with open(tmp_path / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["gain"] for r in rows] == ["1", "1.667"] and all(r["steps"] == "200" for r in rows)
    assert all(2.0 < float(r["val_loss"]) < 3.4 and r["error"] == "" for r in rows)
    status, out2, _ = run(argv)
    assert status == 0 and "2 of 2 configs finished" in out2


@pytest.mark.parametrize("args, message", [
    (["--grid", "gian=1,2"], "unknown config field 'gian'"),
    (["--grid", "gain=a"], "gain='a': not a valid float"),
    (["--grid", "gain"], "is not KEY=V1,V2"),
    (["--grid", "gain=0"], "gain must be a finite number > 0"),
    (["--grid", "steps=-5"], "steps must be an integer >= 0"),
    (["--grid", "batchnorm=maybe"], "batchnorm='maybe'"),
    (["--grid", "lr=inf"], "lr='inf'"),
    (["--grid", "gain=1", "gain=2"], "--grid names gain twice"),
    (["--grid", "b1_scale=0.1"], "b1_scale"),
    (["--preset", "lecture-nope"], "invalid choice"),
    (["--preset", "lecture-init", "--grid", "gain=1"], "not allowed with"),
    (["--preset", "lecture-init", "--steps", "-1"], "--steps"),
    (["--preset", "lecture-init", "--workers", "0"], "--workers"),
    ([], "one of the arguments --preset --grid is required"),
])
def test_errors_are_one_line_with_status_2(tmp_path, args, message):
    status, out, err = run(["sweep", *args, "--out", str(tmp_path / "o")])
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("makemore-fast: error: ")
    assert message in lines[0], lines[0]
    assert not (tmp_path / "o").exists()


def test_missing_out_and_out_a_file(tmp_path):
    status, _, err = run(["sweep", "--preset", "lecture-init"])
    assert status == 2 and "--out" in err
    (tmp_path / "f").write_text("x")
    status, _, err = run(["sweep", "--preset", "lecture-init", "--out", str(tmp_path / "f")])
    assert status == 2 and "not a directory" in err and len(err.splitlines()) == 1


def test_unreachable_scheduler_is_one_line(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from makemore_fast.experiments import cli as sweep_cli
    monkeypatch.setattr(sweep_cli, "SCHEDULER_TIMEOUT", "2s")
    status, _, err = run(["sweep", "--grid", "steps=10", "--scheduler", "tcp://127.0.0.1:9",
                          "--out", str(tmp_path / "o")])
    assert status == 2 and len(err.splitlines()) == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err

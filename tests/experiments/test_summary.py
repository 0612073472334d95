"""experiments.summary: the table and the comparison pictures."""
import csv

import numpy as np

from makemore_fast.experiments import Config, run, write_summary
from makemore_fast.experiments.runner import failed
from makemore_fast.experiments.summary import PICTURES, format_table, varying_fields


def test_summary_files_and_rows(tmp_path):
    base = Config(n_layers=2, n_hidden=16, steps=200, lr_decay_step=100)
    results = [run(base.replace(name="a")), run(base.replace(name="b", gain=1.0)),
               failed(base.replace(name="c", lr=0.5), "ValueError: something")]
    path = write_summary(results, tmp_path)
    assert varying_fields([r.config for r in results]) == ["gain", "lr"]
    with open(tmp_path / "summary.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["name", "gain", "lr", "steps", "train_loss", "val_loss", "seconds",
                        "error"]
    assert [row[0] for row in table[1:]] == ["a", "b", "c"]
    assert table[2][1] == "1" and float(table[1][5]) == round(results[0].val_loss, 4)
    assert table[3][-1] == "ValueError: something" and table[3][5] == "nan"
    text = path.read_text()
    assert "| a |" in text and all(f"({name})" in text for name in PICTURES.values())
    for name in PICTURES.values():
        assert (tmp_path / name).stat().st_size > 2000, name
    lines = format_table(results).splitlines()
    assert lines[0].split()[:3] == ["name", "gain", "lr"] and len(lines) == 5


def test_pictures_of_a_diverged_run(tmp_path):
    r = run(Config(n_layers=2, n_hidden=16, steps=300, lr=1e30))
    assert r.error and np.isnan(r.loss[-1])
    write_summary([r], tmp_path)
    assert (tmp_path / "activations.png").stat().st_size > 2000

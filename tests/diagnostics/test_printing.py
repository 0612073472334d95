"""diagnostics.printing: the lecture's printed lines."""
import re

import makemore_fast as mf
from makemore_fast import diagnostics as D


def test_line_formats_are_the_lecture_f_strings():
    assert D.printing.format_activation(
        {"layer": 2, "name": "Tanh", "mean": -0.001, "std": 0.6312, "saturated_pct": 2.78}
    ) == "layer 2 (Tanh): mean -0.00, std 0.63, saturated: 2.78%"
    assert D.printing.format_gradient(
        {"layer": 2, "name": "Tanh", "mean": 1e-9, "std": 2.640702e-03}
    ) == "layer 2 (Tanh): mean +0.000000, std 2.640702e-03"
    assert D.printing.format_weight(
        {"shape": (27, 10), "mean": 1e-8, "std": 1.019890, "grad_data_ratio": 1.018850}
    ) == "weight   (27, 10) | mean +0.000000 | std 1.019890e+00 | grad:data ratio 1.018850e+00"


def test_print_stats_prints_three_blocks(trained, capsys):
    D.print_stats(trained)
    blocks = capsys.readouterr().out.rstrip("\n").split("\n\n")
    assert len(blocks) == 3
    act, grad, weight = (b.splitlines() for b in blocks)
    expected = D.activation_stats(trained)
    assert act == ["layer %d (Tanh): mean %+.2f, std %.2f, saturated: %.2f%%"
                   % (r["layer"], r["mean"], r["std"], r["saturated_pct"]) for r in expected]
    assert all(re.fullmatch(r"layer \d+ \(Tanh\): mean [+-]\d\.\d{6}, std \d\.\d{6}e[+-]\d\d", s)
               for s in grad) and len(grad) == 5
    assert [s.split("|")[0] for s in weight] == [
        "weight   (27, 10) ", "weight  (30, 100) "] + ["weight (100, 100) "] * 4 + [
        "weight  (100, 27) "]


def test_print_stats_before_backward_prints_activations_only(data, capsys):
    model = mf.lecture_mlp(seed=0)
    model(data[0][:32])
    D.print_stats(model)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(s.startswith("layer ") and "saturated" in s for s in lines)

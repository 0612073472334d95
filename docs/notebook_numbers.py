"""Print the table of docs/NOTEBOOK.md (needs torch).

    python docs/notebook_numbers.py

The notebook's deep net (makemore_part3_bn.ipynb, cell 13) from the notebook's
own torch.Generator(2147483647) draws, trained for the notebook's 1,001 steps
through a fused float32 Sequential, once with BatchNorm1d(unbiased=True) (the
notebook's x.var(0)) and once with the default (torch.nn's biased variance);
each number beside the one the notebook printed.
"""
import makemore_fast as mf
from makemore_fast.notebook import notebook_generator, notebook_lines, notebook_model, notebook_train

# Printed by the notebook's cells 13-17 and 19 (see tests/test_notebook_numbers.py).
NOTEBOOK = """\
47024
3.2870
layer 2 (      Tanh): mean -0.00, std 0.63, saturated: 2.78%
layer 5 (      Tanh): mean +0.00, std 0.64, saturated: 2.56%
layer 8 (      Tanh): mean -0.00, std 0.65, saturated: 2.25%
layer 11 (      Tanh): mean +0.00, std 0.65, saturated: 1.69%
layer 14 (      Tanh): mean +0.00, std 0.65, saturated: 1.88%
layer 2 (      Tanh): mean -0.000000, std 2.640702e-03
layer 5 (      Tanh): mean +0.000000, std 2.245584e-03
layer 8 (      Tanh): mean -0.000000, std 2.045742e-03
layer 11 (      Tanh): mean +0.000000, std 1.983134e-03
layer 14 (      Tanh): mean -0.000000, std 1.952382e-03
weight   (27, 10) | mean +0.000000 | std 8.020534e-03 | grad:data ratio 8.012630e-03
weight  (30, 100) | mean +0.000246 | std 9.241077e-03 | grad:data ratio 4.881091e-02
weight (100, 100) | mean +0.000113 | std 7.132879e-03 | grad:data ratio 6.964619e-02
weight (100, 100) | mean -0.000086 | std 6.234305e-03 | grad:data ratio 6.073741e-02
weight (100, 100) | mean +0.000052 | std 5.742187e-03 | grad:data ratio 5.631483e-02
weight (100, 100) | mean +0.000032 | std 5.672205e-03 | grad:data ratio 5.570125e-02
weight  (100, 27) | mean -0.000082 | std 1.209416e-02 | grad:data ratio 1.160106e-01
train 2.4002976417541504
val 2.3982467651367188""".splitlines()


def lines(unbiased):
    """The notebook's printed lines, as makemore_fast computes them."""
    splits = mf.data.load_splits()
    g = notebook_generator()
    model = notebook_model(g, unbiased=unbiased)
    losses = notebook_train(model, *splits.train, g)
    return ([str(sum(p.nelement() for p in model.parameters())), f"{losses[0]:.4f}"]
            + notebook_lines(model)
            + [f"train {mf.split_loss(model, *splits.train)!r}",
               f"val {mf.split_loss(model, *splits.val)!r}"])


def main():
    ours, default = lines(True), lines(False)
    print("| notebook | makemore_fast, unbiased=True | makemore_fast, default |")
    print("|---|---|---|")
    for row in zip(NOTEBOOK, ours, default, strict=True):
        # a "|" inside a table cell, even in code, must be escaped in Markdown
        print("| " + " | ".join("`%s`" % cell.replace("|", "\\|") for cell in row) + " |")


if __name__ == "__main__":
    main()

"""The lecture's comparisons in one call, run side by side on every core or a Dask cluster.

    from makemore_fast import experiments as E
    results = E.sweep(E.preset("lecture-gains"), out="gains/")
    results = E.sweep(E.grid(E.Config(steps=1000), gain=[0.5, 1, 5/3, 3],
                             batchnorm=[False, True]))
    E.run(E.Config(n_layers=1, steps=5000))

`Config` (config.py) says what one run is; `run` (runner.py) runs one;
`sweep` (sweep.py) runs many, resumably; `write_summary` (summary.py) writes
the table and the comparison pictures.  See docs/EXPERIMENTS.md.
"""
from .config import FIELDS, LECTURE_LOSS_LOG, PRESETS, Config, grid, preset, with_steps
from .models import build_model
from .runner import Result, run
from .sweep import sweep
from .summary import write_summary

__all__ = ["Config", "FIELDS", "grid", "preset", "PRESETS", "with_steps",
           "LECTURE_LOSS_LOG", "build_model", "run", "Result", "sweep", "write_summary"]

"""Thresholds of the lecture's diagnostics, shared by the kernels' `stats=`,
the layers and the diagnostics."""

SATURATION_THRESHOLD = 0.97   # the lecture's saturated tanh: |t| > 0.97
DEAD_THRESHOLD = 0.99         # the lecture's white-dots picture: |h| > 0.99

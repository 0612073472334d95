"""Means and unbiased standard deviations, accurate and vectorised over many arrays."""
import numpy as np

_add = np.add.reduce
_dot = np.dot


def mean_std(a):
    """(mean, unbiased std) of all elements of `a`, as Python floats.

    Two passes in float64 (the mean, then the centred sum of squares through
    BLAS), so a float32 array loses no digits to cancellation.  The std of a
    single element is nan, as in torch.
    """
    x = np.asarray(a).reshape(-1)
    n = x.size
    if n == 0:
        return float("nan"), float("nan")
    mean = float(_add(x, dtype=np.float64)) / n
    if n == 1:
        return mean, float("nan")
    d = x - np.float64(mean)                 # float64 whatever x's dtype
    return mean, (float(_dot(d, d)) / (n - 1)) ** 0.5


def mean_std_many(arrays):
    """(means, stds): float64 arrays of the mean and unbiased std of each array.

    The vectorised `mean_std` for many arrays at once; see `Moments`, which
    does the work (keep one to call every step on arrays of the same sizes).
    """
    arrays = [np.asarray(a) for a in arrays]
    return Moments([a.size for a in arrays])(arrays)


class Moments:
    """Mean and unbiased std of each of a list of arrays of fixed sizes, every step.

    One float64 copy of all the elements into a buffer kept between calls,
    then one segmented pass for the sums and one for the sums of squares.
    Where that single pass would lose digits to cancellation (a mean far
    larger than the spread, as BatchNorm's gain early in training) the array
    is redone with `mean_std`'s two passes, so every result is accurate to
    float64 rounding.  Empty arrays give nan, one-element arrays a nan std.
    """

    def __init__(self, sizes):
        self.sizes = tuple(int(n) for n in sizes)
        sizes = np.array(self.sizes, dtype=np.intp)
        self._filled = np.flatnonzero(sizes > 0)
        self._starts = (np.cumsum(sizes) - sizes)[self._filled]
        n = sizes[self._filled].astype(np.float64)
        self._n = n
        self._inv_dof = np.full(n.size, np.nan)            # 1 / (n - 1), nan for n == 1
        np.divide(1.0, n - 1, out=self._inv_dof, where=n > 1)
        self._buf = np.empty(int(sizes.sum()))

    def __call__(self, arrays):
        """(means, stds) of `arrays`, ndarrays of the sizes given at construction."""
        if tuple([a.size for a in arrays]) != self.sizes:
            raise ValueError(f"expected arrays of sizes {self.sizes}")
        means = np.full(len(self.sizes), np.nan)
        stds = np.full(len(self.sizes), np.nan)
        if not self._buf.size:
            return means, stds
        buf = self._buf
        np.concatenate([a.ravel() for a in arrays], out=buf)
        sums = np.add.reduceat(buf, self._starts)
        np.multiply(buf, buf, out=buf)
        squares = np.add.reduceat(buf, self._starts)
        spread = squares - sums * sums / self._n          # (n - 1) * variance, up to rounding
        means[self._filled] = sums / self._n
        stds[self._filled] = np.sqrt(np.maximum(spread, 0.0) * self._inv_dof)
        # Relative rounding error of `spread` is about 1e-16 * sum(x^2) / spread.
        for k in self._filled[~(spread * 1e8 > squares)]:
            means[k], stds[k] = mean_std(arrays[k])
        return means, stds

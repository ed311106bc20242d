"""Comparing rendered pictures in tests."""
from __future__ import annotations

import numpy as np


def same_up_to_rounding(a, b) -> bool:
    """The same picture but for one rounding step in a few pixels. A seed gives the same image whatever its
    place in a batch, yet another batch size may sum in another order: exact equality would test the BLAS."""
    a, b = (np.asarray(x, dtype=np.int16) for x in (a, b))
    if a.shape != b.shape:
        return False
    difference = np.abs(a - b)
    return difference.max() <= 1 and (difference > 0).mean() < 0.001

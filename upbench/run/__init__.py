"""Running: the levels of the sweep and of the claims run, and verify before measuring."""

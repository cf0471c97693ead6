"""FACE: the one-screen executive summary assembled from a run's stored module outputs."""

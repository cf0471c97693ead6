"""Demo tenants: a deterministic simulator of DTC brands, their ground truth and `brain seed`."""

"""One module per provider; each registers its connector and sandbox simulator on import."""

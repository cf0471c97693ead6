"""Brain: marketing intelligence for direct-to-consumer brands."""

__version__ = "0.1.0"

"""footfall: watch who is on a website and act on it, in real time."""

__all__ = ["__version__"]

__version__ = "0.1.0"

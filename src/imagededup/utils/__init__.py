"""Helpers that imagededup 0.3.3 users import from here: ``plot_duplicates``."""

from imagededup.utils.plot import plot_duplicates

__all__ = ["plot_duplicates"]

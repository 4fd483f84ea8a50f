"""Reports of duplicate groups for people to look at."""

from imagededup.report.html import write_report

__all__ = ["write_report"]

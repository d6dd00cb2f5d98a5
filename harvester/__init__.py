"""harvester: hand-kept research reading lists, checked against arXiv, in SQLite."""

__version__ = "0.1.0"

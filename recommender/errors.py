"""Domain errors of the recommender package."""

from __future__ import annotations


class RecommenderError(Exception):
    """Base class of every error this package raises on purpose."""


class DataFormatError(RecommenderError, ValueError):
    """An input file does not follow its format.

    ``line`` is the 1-based physical line number in the file (the header is
    line 1 when there is one); ``reason`` says what is wrong with it.
    """

    def __init__(self, reason: str, line: int | None = None, path: str | None = None) -> None:
        self.reason = reason
        self.line = line
        self.path = path
        where = f"{path}: " if path else ""
        at = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{at}{reason}")


class NotFittedError(RecommenderError, RuntimeError):
    """An estimator was used before ``fit``."""


class ArtefactError(RecommenderError):
    """A saved model artefact is missing, corrupt or of another version."""

"""Model artefacts on disk: save with a version and training metadata; load safely.

Layout of ``directory``::

    model.pkl        the pickled estimator
    meta.json        {"format_version", "model_class", "created_at", "sha256", "metadata"}
    popularity.json  the top items with scores, the fallback when the model cannot load

:func:`load_model` never raises for a missing, corrupt or foreign artefact: it
logs one warning line and returns a popularity fallback instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.errors import ArtefactError

log = logging.getLogger(__name__)
FORMAT_VERSION = 1
FALLBACK_TOP = 200


class PopularityFallback:
    """Serves a stored popularity list to everyone (minus items they are known to have)."""

    def __init__(self, items: list[str], scores: list[float]) -> None:
        self.items_ = list(items)
        self.scores_ = list(scores)

    def recommend(
        self, user_ids, n: int = 10, exclude_seen: bool = True, seen: dict | None = None, **_
    ) -> pd.DataFrame:
        if isinstance(user_ids, str | int | np.integer):
            user_ids = [user_ids]
        rows = []
        for u in user_ids:
            skip = (seen or {}).get(str(u), set())
            kept = [
                (i, s) for i, s in zip(self.items_, self.scores_, strict=True) if i not in skip
            ][:n]
            rows += [
                {"user_id": str(u), "item_id": i, "score": s, "rank": r + 1, "source": "popularity"}
                for r, (i, s) in enumerate(kept)
            ]
        return pd.DataFrame(rows, columns=["user_id", "item_id", "score", "rank", "source"])


@dataclass
class LoadedModel:
    model: object
    fallback: bool
    reason: str
    meta: dict


def _popularity_of(model) -> tuple[list[str], list[float]]:
    pop = getattr(model, "popularity_", None)
    if pop is None:
        pop = getattr(model, "counts_", None)
    if pop is None or not hasattr(model, "item_map_"):
        return [], []
    order = np.argsort(-np.asarray(pop), kind="stable")[:FALLBACK_TOP]
    return [str(model.item_map_.ids[i]) for i in order], [float(pop[i]) for i in order]


def save_model(model, directory: str | Path, metadata: dict | None = None) -> Path:
    """Write the three files atomically enough (temp file + rename); returns the directory."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    meta = {
        "format_version": FORMAT_VERSION,
        "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "created_at": time.time(),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "metadata": metadata or {},
    }
    items, scores = _popularity_of(model)
    for name, data in (
        ("model.pkl", blob),
        ("popularity.json", json.dumps({"items": items, "scores": scores}).encode()),
        ("meta.json", json.dumps(meta, indent=2, default=str).encode()),
    ):
        tmp = d / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(d / name)
    return d


def _load_strict(d: Path) -> tuple[object, dict]:
    try:
        meta = json.loads((d / "meta.json").read_text())
        blob = (d / "model.pkl").read_bytes()
    except (OSError, ValueError) as exc:
        raise ArtefactError(f"cannot read artefact in {d}: {exc}") from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(
            f"artefact format {meta.get('format_version')!r}, expected {FORMAT_VERSION}"
        )
    if hashlib.sha256(blob).hexdigest() != meta.get("sha256"):
        raise ArtefactError("model.pkl does not match its checksum (corrupt or edited)")
    try:
        return pickle.loads(blob), meta
    except Exception as exc:  # unpickling can fail in many ways
        raise ArtefactError(f"cannot unpickle model: {exc}") from exc


def load_model(directory: str | Path) -> LoadedModel:
    """The saved model, or a popularity fallback with a logged reason; never raises."""
    d = Path(directory)
    try:
        model, meta = _load_strict(d)
        return LoadedModel(model, False, "", meta)
    except ArtefactError as exc:
        reason = str(exc)
    try:
        pop = json.loads((d / "popularity.json").read_text())
        fallback = PopularityFallback(pop["items"], pop["scores"])
    except (OSError, ValueError, KeyError, TypeError):
        fallback = PopularityFallback([], [])
    log.warning("recommender artefact unusable, serving popularity instead: %s", reason)
    return LoadedModel(fallback, True, reason, {})

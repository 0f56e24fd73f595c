"""The trained models as the serving side sees them: loaded once, reloaded when
`refbot train` (another process) or the retrain job writes a new version.

A missing or corrupt artefact never raises: :func:`recommender.load_model`
logs one line and hands back its popularity fallback.
"""

from __future__ import annotations

import threading
from pathlib import Path

from recommender import LoadedModel, load_model
from referral.offers.training import EXTRAS, HYBRID, Extras, models_dir


class ModelStore:
    def __init__(self, data_dir: str | Path) -> None:
        self.directory = models_dir(data_dir)
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._hybrid: LoadedModel | None = None
        self._extras: Extras | None = None

    def _stat(self) -> tuple:
        out = []
        for name in (f"{HYBRID}/meta.json", f"{HYBRID}/model.pkl", f"{EXTRAS}/model.pkl"):
            try:
                st = (self.directory / name).stat()
                out.append((st.st_mtime_ns, st.st_size))
            except OSError:
                out.append(None)
        return tuple(out)

    def current(self) -> tuple[LoadedModel, Extras | None]:
        """(the hybrid or its popularity fallback, the extras or None)."""
        signature = self._stat()
        with self._lock:
            if self._hybrid is None or signature != self._signature:
                self._hybrid = load_model(self.directory / HYBRID)
                extras = load_model(self.directory / EXTRAS)
                self._extras = extras.model if not extras.fallback else None
                self._signature = signature
            return self._hybrid, self._extras

    @property
    def version(self) -> int | None:
        hybrid, _ = self.current()
        return hybrid.meta.get("metadata", {}).get("version")

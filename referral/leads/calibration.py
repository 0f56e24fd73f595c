"""Offer scores as probabilities, so a relevance floor of 0.78 means "at least 0.78".

The recommender's scores rank well but are not probabilities. A one-feature
logistic regression (Platt scaling) maps a score to a probability, fitted on
labelled (score, yes?) examples from one of two sources:

* **history**, from the first training on: a model with the trained
  hyperparameters is fitted on the purchases before a cut-off, each member's
  top services are scored as serving scores them, and the label is whether
  the member bought that service after the cut-off (the hold-out window). The
  fit is saved beside the models (``models/calibration.json``).
* **answers**, once at least ``MIN_EACH`` accepted and ``MIN_EACH`` declined
  offers exist: P(accept) from the members' own answers replaces the history fit.

With neither, the score itself, clipped to [0, 1], stands in (``fitted`` is
False, and the pipeline marks its scores "uncalibrated"). ``Calibrations`` is
the one source both /offers and the pipeline read, so the floor is applied
once, on the same probability, in both.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.offers.models import ACCEPTED, DECLINED, ShownOffer

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

MIN_EACH = 10  # examples of each kind before a fit is trusted
RECENT = 20_000  # the latest answers only: the fit costs nothing per lead
CALIBRATION_FILE = "calibration.json"  # under DATA_DIR/models, written by training
HISTORY, ANSWERS = "history", "answers"
# The hold-out window: the last fifth of the history, between a week and two months.
HOLDOUT_SHARE, HOLDOUT_MIN_DAYS, HOLDOUT_MAX_DAYS = 0.2, 7.0, 60.0
SCORED_MEMBERS = 3_000  # members scored for the history fit (a seeded sample past it)
TOP_K = 20  # services scored per member, as serving asks for four times the offers


@dataclass(frozen=True)
class Calibration:
    slope: float = 1.0
    intercept: float = 0.0
    fitted: bool = False
    source: str = ""  # history or answers when fitted
    examples: int = 0
    positives: int = 0

    def probability(self, score: float) -> float:
        if not self.fitted:
            return min(1.0, max(0.0, score))
        return 1.0 / (1.0 + math.exp(-(self.slope * score + self.intercept)))


def fit_platt(scores: np.ndarray, accepted: np.ndarray, source: str = ANSWERS) -> Calibration:
    """Logistic regression of accepted on score (Newton's method, a few steps)."""
    positives = int(accepted.sum())
    if positives < MIN_EACH or len(accepted) - positives < MIN_EACH:
        return Calibration()
    # Platt's targets keep the fit finite when the classes separate.
    target = np.where(
        accepted, (positives + 1) / (positives + 2), 1 / (len(accepted) - positives + 2)
    )
    features = np.column_stack([scores, np.ones_like(scores)])
    weights = np.zeros(2)
    for _ in range(50):
        predicted = 1.0 / (1.0 + np.exp(-features @ weights))
        gradient = features.T @ (predicted - target)
        curvature = features.T @ (features * (predicted * (1 - predicted))[:, None])
        step = np.linalg.solve(curvature + 1e-9 * np.eye(2), gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    slope, intercept = float(weights[0]), float(weights[1])
    # A higher score must mean a likelier yes; otherwise the scores do not rank
    # these examples and a floor on such a fit would cut the best offers first.
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope <= 0:
        return Calibration()
    return Calibration(slope, intercept, True, source, len(accepted), positives)


async def calibration_from_answers(session: AsyncSession) -> Calibration:
    rows = (
        await session.execute(
            select(ShownOffer.score, ShownOffer.status)
            .where(ShownOffer.status.in_((ACCEPTED, DECLINED)))
            .order_by(ShownOffer.id.desc())
            .limit(RECENT)
        )
    ).all()
    if not rows:
        return Calibration()
    scores = np.array([float(score) for score, _ in rows])
    accepted = np.array([status == ACCEPTED for _, status in rows])
    return fit_platt(scores, accepted)


def fit_from_history(
    purchases: pd.DataFrame, params: dict, seed: int = 0
) -> tuple[Calibration, str]:
    """The history fit (see the module) on a purchases frame (user_id, item_id,
    timestamp in Unix seconds) with the trained model's hyperparameters: the
    calibration, and what it was fitted on (or why not) for the training report."""
    from recommender import HybridRecommender

    if purchases.empty:
        return Calibration(), "no purchases"
    stamps = purchases["timestamp"].astype(float)
    span_days = (stamps.max() - stamps.min()) / 86_400
    holdout_days = min(HOLDOUT_MAX_DAYS, max(HOLDOUT_MIN_DAYS, span_days * HOLDOUT_SHARE))
    if span_days < 2 * holdout_days:
        return Calibration(), f"history of {span_days:.0f} days: too short for a hold-out"
    cutoff = stamps.max() - holdout_days * 86_400
    before, after = purchases[stamps < cutoff], purchases[stamps >= cutoff]
    try:
        model = HybridRecommender(**{**params, "n_threads": 1}).fit(before)
    except (ValueError, IndexError) as error:  # too little before the cut-off to fit on
        return Calibration(), f"no model before the cut-off: {error}"
    bought_after = set(zip(after["user_id"], after["item_id"], strict=True))
    members = before["user_id"].drop_duplicates()
    if len(members) > SCORED_MEMBERS:
        members = members.sample(SCORED_MEMBERS, random_state=seed)
    scores, labels = [], []
    for member in members:
        for item, score in model.top_items(member, TOP_K, now=cutoff):
            scores.append(score)
            labels.append((member, item) in bought_after)
    calibration = fit_platt(np.array(scores, dtype=float), np.array(labels, dtype=bool), HISTORY)
    basis = (
        f"{len(scores)} scored services of {len(members)} members, {sum(labels)} bought "
        f"in the last {holdout_days:.0f} days"
    )
    if calibration.fitted:
        return calibration, basis
    return calibration, f"not fitted (too few of a kind, or scores that do not rank): {basis}"


def save_calibration(models: Path, calibration: Calibration, meta: dict) -> None:
    """Write the history fit beside the models, whole or not at all; an unfitted
    one removes an older training's file (it was fitted for another model)."""
    models.mkdir(parents=True, exist_ok=True)
    if not calibration.fitted:
        (models / CALIBRATION_FILE).unlink(missing_ok=True)
        return
    partial = models / (CALIBRATION_FILE + ".tmp")
    partial.write_text(json.dumps({**asdict(calibration), **meta}))
    partial.replace(models / CALIBRATION_FILE)


def load_calibration(path: Path) -> Calibration:
    try:
        data = json.loads(path.read_text())
        found = Calibration(
            float(data["slope"]),
            float(data["intercept"]),
            bool(data["fitted"]),
            str(data.get("source", HISTORY)),
            int(data.get("examples", 0)),
            int(data.get("positives", 0)),
        )
    except FileNotFoundError:
        return Calibration()
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("calibration %s unreadable, scores stay uncalibrated: %s", path, error)
        return Calibration()
    return found if found.fitted else Calibration()


class Calibrations:
    """The calibration in force, for /offers and the pipeline alike: the answers
    fit once there are enough answers, else training's history fit, else none.

    ``current()`` costs nothing (it runs inside every /offers); ``refresh()``
    re-reads the answers at most every ``refresh_seconds`` (the pipeline forces
    it once per pass) and the history file when training rewrote it."""

    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        data_dir: str | Path,
        refresh_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.path = Path(data_dir) / "models" / CALIBRATION_FILE
        self.refresh_seconds, self.clock = refresh_seconds, clock
        self._answers = Calibration()
        self._answers_at: float | None = None
        self._history = Calibration()
        self._history_stamp: tuple[int, int] | None = None

    def current(self) -> Calibration:
        return self._answers if self._answers.fitted else self._history

    async def refresh(self, force: bool = False) -> Calibration:
        self._read_history()
        now = self.clock()
        if force or self._answers_at is None or now - self._answers_at >= self.refresh_seconds:
            async with self.db() as session:
                self._answers = await calibration_from_answers(session)
            self._answers_at = now
        return self.current()

    def _read_history(self) -> None:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self._history_stamp:
            self._history = load_calibration(self.path) if stamp else Calibration()
            self._history_stamp = stamp

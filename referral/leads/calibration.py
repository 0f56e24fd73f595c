"""Offer scores as probabilities: Platt scaling on the members' own answers.

The recommender's scores rank well but are not probabilities, so a relevance
floor of 0.78 would mean nothing. Every answered offer is a labelled example
(score, accepted?); a one-feature logistic regression on them maps a score to
P(accept). With too few answers of either kind the score itself, clipped to
[0, 1], stands in (and ``fitted`` says so): a floor then acts on raw scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.offers.models import ACCEPTED, DECLINED, ShownOffer

MIN_EACH = 10  # answers of each kind before a fit is trusted
RECENT = 20_000  # the latest answers only: the fit costs nothing per lead


@dataclass(frozen=True)
class Calibration:
    slope: float = 1.0
    intercept: float = 0.0
    fitted: bool = False

    def probability(self, score: float) -> float:
        if not self.fitted:
            return min(1.0, max(0.0, score))
        return 1.0 / (1.0 + math.exp(-(self.slope * score + self.intercept)))


def fit_platt(scores: np.ndarray, accepted: np.ndarray) -> Calibration:
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
    return Calibration(float(weights[0]), float(weights[1]), True)


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

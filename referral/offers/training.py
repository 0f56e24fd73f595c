"""Training: frames from the database in, artefacts under DATA_DIR/models out.

Two artefacts, each saved by :func:`recommender.save_model` with a version and
training metadata:

* ``models/hybrid``: the tuned :class:`~recommender.HybridRecommender`
  (its ``popularity.json`` is what serving falls back to);
* ``models/extras``: service economics (conflict resolution), the churn model,
  segment profiles, mined bundles and the regular purchase periods found.

Member segments are also written to ``member_segments`` so surveys can target
them. Each part that cannot be fitted on the data at hand (too few members,
one churn class) is skipped with its reason; the others still ship.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recommender import (
    HybridRecommender,
    association_rules,
    bundles,
    detect_periods,
    member_features,
    save_model,
    service_economics,
)
from recommender.threads import one_thread
from referral.errors import DomainError
from referral.leads.calibration import fit_from_history, save_calibration
from referral.ledger.discounts import unit_price
from referral.models import Member
from referral.offers.frames import (
    catalogue_frame,
    feedback_frame,
    leads_frame,
    profiles_frame,
    purchases_frame,
)
from referral.offers.models import MemberSegment

if TYPE_CHECKING:
    from recommender.churn import ChurnModel

log = logging.getLogger(__name__)
HYBRID, EXTRAS = "hybrid", "extras"
T = TypeVar("T")
MINED_BUNDLE_DISCOUNT = 0.1


class NothingToTrain(DomainError):
    """No purchases yet: import some (`refbot purchases import`) first."""


@dataclass
class Extras:
    economics: pd.DataFrame
    churn: ChurnModel | None = None
    segments: pd.DataFrame | None = None  # profiles
    bundles: pd.DataFrame | None = None
    periods: pd.DataFrame | None = None
    member_segments: dict[str, str] = field(default_factory=dict)  # pseudonym -> segment name


@dataclass
class TrainReport:
    version: int
    directory: Path
    trained: dict[str, dict] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def models_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "models"


def _previous_version(directory: Path) -> int:
    try:
        meta = json.loads((directory / HYBRID / "meta.json").read_text())
        return int(meta["metadata"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def fit_all(
    purchases: pd.DataFrame,
    feedback: pd.DataFrame,
    catalogue: pd.DataFrame,
    leads: pd.DataFrame,
    tune: bool = True,
    profiles: pd.DataFrame | None = None,
) -> tuple[HybridRecommender, Extras, TrainReport]:
    """CPU-bound part (run in a thread): every model fitted on plain frames.

    ``profiles`` (user_id, income_band, region) let tuning try the profile
    part (members like them by income band and region); it joins the blend
    only when validation finds it helps."""
    # scikit-learn loads here, for training only: every `refbot` command and
    # the bot's start would otherwise pay its import (about 1.5 s).
    from recommender.churn import ChurnModel
    from recommender.segments import Segmenter

    report = TrainReport(0, Path())
    model = HybridRecommender(n_threads=1)
    hybrid_meta: dict = {
        "purchases": len(purchases),
        "members": purchases["user_id"].nunique(),
        "services": purchases["item_id"].nunique(),
        "feedback": len(feedback),
        "profiles": 0 if profiles is None else len(profiles),
    }
    if profiles is not None and profiles.empty:
        profiles = None
    if tune:
        try:
            result = model.tune(purchases, profiles=profiles)
            hybrid_meta["validation_ndcg@10"] = round(result.best_score, 4)
        except (ValueError, IndexError) as error:  # too little history to carve a validation split
            report.skipped["tuning"] = f"kept defaults: {error}"
    model.fit(purchases, feedback, profiles=profiles)
    hybrid_meta["params"] = model.get_params()
    report.trained[HYBRID] = hybrid_meta

    extras = Extras(economics=service_economics(leads))
    report.trained["economics"] = {"leads": len(leads), "services": len(extras.economics)}
    features = member_features(purchases)
    try:
        seg = Segmenter(k_range=range(2, min(9, len(features)))).fit(features)
        extras.segments = seg.profiles_
        names = seg.profiles_.set_index("segment")["name"]
        report.trained["segments"] = {
            "k": seg.k_,
            "names": list(names),
            "silhouette": round(seg.silhouettes_[seg.k_], 3),
        }
        extras.member_segments = seg.labels_.map(names).to_dict()
    except ValueError as error:
        report.skipped["segments"] = str(error)
    try:
        window = churn_window_days(purchases)
        churn = ChurnModel(window_days=window).fit(purchases)
        extras.churn = churn
        report.trained["churn"] = {
            "window_days": round(float(churn.window_days), 1),
            "cutoff": int(churn.cutoff_),
            **_churn_quality(purchases, window),
        }
    except ValueError as error:
        report.skipped["churn"] = str(error)
    except KeyError:  # churn_frame found nobody with history before the cut-off
        report.skipped["churn"] = "no member has history before the cut-off"
    active = catalogue[catalogue["active"]]
    prices = {
        item: unit_price(int(price), int(discount))
        for item, price, discount in zip(
            active["item_id"], active["price_minor"], active["discount_percent"], strict=True
        )
    }
    rules = association_rules(purchases, min_support=0.01, min_lift=1.0)
    extras.bundles = bundles(rules, prices, MINED_BUNDLE_DISCOUNT, min_lift=1.0)
    report.trained["bundles"] = {"pairs": len(extras.bundles)}
    extras.periods = detect_periods(purchases)
    report.trained["reminders"] = {"regular_pairs": len(extras.periods)}
    return model, extras, report


def churn_window_days(purchases: pd.DataFrame) -> float:
    """The churn model's period: a third of the history, within 7 to 90 days.

    Three periods must fit in the history (features, label, and the one before)."""
    span_days = (purchases["timestamp"].max() - purchases["timestamp"].min()) / 86_400
    return max(7.0, min(90.0, span_days / 3))


def _churn_quality(purchases: pd.DataFrame, window_days: float) -> dict[str, object]:
    """F1 and ROC AUC on a time split (fit a period earlier, test on the last),
    so the operator sees how far to trust the risk scores."""
    from recommender.churn import ChurnModel

    try:
        quality = ChurnModel(window_days=window_days).evaluate(purchases)
    except (ValueError, KeyError) as error:
        return {"evaluation": f"skipped: {error}"}
    return {
        "f1": round(quality.f1, 3),
        "roc_auc": round(quality.roc_auc, 3),
        "test_members": quality.n_test,
    }


def _in_one_thread(fit: Callable[..., T], *args: object) -> T:
    """``fit(*args)`` with OpenMP and BLAS at one thread: the bot's scheduled
    retraining shares the machine with serving, and even `refbot train` alone
    on a busy two-core machine ran K-Means and boosting 3-7 times slower on
    their own pools (docs/benchmarks.md, training threads)."""
    with one_thread():
        return fit(*args)


class Trainer:
    """``refbot train`` as a service: fits on this database, saves under data_dir."""

    def __init__(self, db: async_sessionmaker[AsyncSession], data_dir: str | Path) -> None:
        self.db = db
        self.data_dir = data_dir

    async def train(self, tune: bool = True) -> TrainReport:
        return await train(self.data_dir, self.db, tune=tune)


async def train(
    data_dir: str | Path,
    db: async_sessionmaker[AsyncSession],
    tune: bool = True,
    now: datetime | None = None,
) -> TrainReport:
    """Fit everything on the database's history and save it; raises NothingToTrain."""
    async with db() as session:
        purchases = await purchases_frame(session)
        feedback = await feedback_frame(session)
        catalogue = await catalogue_frame(session)
        leads = await leads_frame(session)
        profiles = await profiles_frame(session)
    if purchases.empty:
        raise NothingToTrain("no purchases to train on: import some with `refbot purchases import`")
    model, extras, report = await asyncio.to_thread(
        _in_one_thread, fit_all, purchases, feedback, catalogue, leads, tune, profiles
    )
    directory = models_dir(data_dir)
    report.version = _previous_version(directory) + 1
    report.directory = directory
    now = now or datetime.now(UTC)
    common = {"version": report.version, "trained_at": now.isoformat()}
    # The relevance floor reads as a probability from the first training on
    # (referral.leads.calibration: Platt scaling on a time hold-out of the history).
    calibration, basis = await asyncio.to_thread(
        _in_one_thread, fit_from_history, purchases, report.trained[HYBRID]["params"]
    )
    save_calibration(directory, calibration, {**common, "basis": basis})
    if calibration.fitted:
        report.trained["calibration"] = {"basis": basis}
    else:
        report.skipped["calibration"] = basis
    save_model(
        extras,
        directory / EXTRAS,
        {**common, "parts": sorted(report.trained), "skipped": report.skipped},
    )
    # The hybrid goes last: its version is the one serving reports and reloads on.
    save_model(model, directory / HYBRID, {**common, **report.trained[HYBRID]})
    if extras.member_segments:
        await store_segments(db, extras.member_segments, now)
    log.info("trained models version %s: %s", report.version, ", ".join(report.trained))
    return report


async def store_segments(
    db: async_sessionmaker[AsyncSession], by_pseudonym: dict[str, str], now: datetime
) -> None:
    """Replace every member's segment with this training's (one transaction)."""
    async with db.begin() as session:
        ids = dict((await session.execute(select(Member.pseudonym, Member.id))).all())
        await session.execute(delete(MemberSegment))
        session.add_all(
            MemberSegment(member_id=ids[p], segment=name[:64], updated_at=now)
            for p, name in by_pseudonym.items()
            if p in ids
        )

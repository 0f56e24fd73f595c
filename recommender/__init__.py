"""refbot's recommender: estimators on arrays and frames (no aiogram, no ORM).

Entry points for the bot and domain side (all take pandas frames with string ids):

* :class:`HybridRecommender` -- ``fit(purchases, feedback=None)``, ``tune(purchases)``,
  ``recommend(member_ids, n, exclude_seen=True, now=None)``, ``record_feedback(...)``
* :class:`PopularityRecommender`, :class:`ItemKNN`, :class:`UserKNN`
* :class:`CrossServiceColdStart` with :func:`load_cross_services`
* :func:`service_economics`, :func:`resolve_conflicts`, :func:`apply_relevance_threshold`
* :func:`association_rules`, :func:`bundles`
* :func:`member_features`, :class:`Segmenter`
* :class:`ChurnModel`
* :func:`detect_periods`, :func:`due_reminders`
* :func:`save_model`, :func:`load_model`
* :func:`load_dataset`, :func:`time_split`, :func:`evaluate` (offline evaluation)
"""

import importlib
from typing import Any

# Names resolve on first use (PEP 562): importing one submodule, as the bot
# does on start-up, must not pull scikit-learn in through churn or segments.
_EXPORTS = {
    "ArtefactError": "recommender.errors",
    "ChurnModel": "recommender.churn",
    "CrossServiceColdStart": "recommender.coldstart",
    "DataFormatError": "recommender.errors",
    "HybridRecommender": "recommender.hybrid",
    "ItemKNN": "recommender.knn",
    "LoadedDataset": "recommender.data",
    "LoadedModel": "recommender.artefacts",
    "NotFittedError": "recommender.errors",
    "PopularityFallback": "recommender.artefacts",
    "PopularityRecommender": "recommender.popularity",
    "RecommenderError": "recommender.errors",
    "Segmenter": "recommender.segments",
    "UserKNN": "recommender.knn",
    "apply_relevance_threshold": "recommender.offers",
    "association_rules": "recommender.bundles",
    "bundles": "recommender.bundles",
    "detect_periods": "recommender.reminders",
    "due_reminders": "recommender.reminders",
    "evaluate": "recommender.evaluation",
    "load_cross_services": "recommender.coldstart",
    "load_dataset": "recommender.data",
    "load_model": "recommender.artefacts",
    "member_features": "recommender.features",
    "relevance_sets": "recommender.split",
    "resolve_conflicts": "recommender.offers",
    "save_model": "recommender.artefacts",
    "service_economics": "recommender.offers",
    "time_split": "recommender.split",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'recommender' has no attribute {name!r}")


__all__ = [
    "ArtefactError", "ChurnModel", "CrossServiceColdStart", "DataFormatError",
    "HybridRecommender", "ItemKNN", "LoadedDataset", "LoadedModel", "NotFittedError",
    "PopularityFallback", "PopularityRecommender", "RecommenderError", "Segmenter", "UserKNN",
    "apply_relevance_threshold", "association_rules", "bundles", "detect_periods",
    "due_reminders", "evaluate", "load_cross_services", "load_dataset", "load_model",
    "member_features", "relevance_sets", "resolve_conflicts", "save_model",
    "service_economics", "time_split",
]

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
* :func:`one_thread` (OpenMP and BLAS held to one thread while a fit runs)
* :func:`load_dataset`, :func:`time_split`, :func:`evaluate` (offline evaluation)
"""

# Names resolve on first use (PEP 562): importing one submodule, as the CLI and
# the domain do (``recommender.data``, ``recommender.artefacts``), must not pull
# in scikit-learn and scipy.stats through the churn model: that took 2.5 s of
# every `refbot` command, `--help` included. No name here may equal a
# submodule's: importing that submodule would rebind the package attribute.
import importlib

_EXPORTS = {
    "apply_relevance_threshold": "recommender.offers",
    "ArtefactError": "recommender.errors",
    "association_rules": "recommender.baskets",
    "bundles": "recommender.baskets",
    "ChurnModel": "recommender.churn",
    "CrossServiceColdStart": "recommender.coldstart",
    "DataFormatError": "recommender.errors",
    "detect_periods": "recommender.reminders",
    "due_reminders": "recommender.reminders",
    "evaluate": "recommender.evaluation",
    "HybridRecommender": "recommender.hybrid",
    "ItemKNN": "recommender.knn",
    "load_cross_services": "recommender.coldstart",
    "load_dataset": "recommender.data",
    "load_model": "recommender.artefacts",
    "LoadedDataset": "recommender.data",
    "LoadedModel": "recommender.artefacts",
    "member_features": "recommender.features",
    "NotFittedError": "recommender.errors",
    "one_thread": "recommender.threads",
    "PopularityFallback": "recommender.artefacts",
    "PopularityRecommender": "recommender.popularity",
    "RecommenderError": "recommender.errors",
    "relevance_sets": "recommender.split",
    "resolve_conflicts": "recommender.offers",
    "save_model": "recommender.artefacts",
    "Segmenter": "recommender.segments",
    "service_economics": "recommender.offers",
    "time_split": "recommender.split",
    "UserKNN": "recommender.knn",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'recommender' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

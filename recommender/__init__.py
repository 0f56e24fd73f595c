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

from recommender.artefacts import LoadedModel, PopularityFallback, load_model, save_model
from recommender.bundles import association_rules, bundles
from recommender.churn import ChurnModel
from recommender.coldstart import CrossServiceColdStart, load_cross_services
from recommender.data import LoadedDataset, load_dataset
from recommender.errors import ArtefactError, DataFormatError, NotFittedError, RecommenderError
from recommender.evaluation import evaluate
from recommender.features import member_features
from recommender.hybrid import HybridRecommender
from recommender.knn import ItemKNN, UserKNN
from recommender.offers import apply_relevance_threshold, resolve_conflicts, service_economics
from recommender.popularity import PopularityRecommender
from recommender.reminders import detect_periods, due_reminders
from recommender.segments import Segmenter
from recommender.split import relevance_sets, time_split

__all__ = [
    "ArtefactError",
    "ChurnModel",
    "CrossServiceColdStart",
    "DataFormatError",
    "HybridRecommender",
    "ItemKNN",
    "LoadedDataset",
    "LoadedModel",
    "NotFittedError",
    "PopularityFallback",
    "PopularityRecommender",
    "RecommenderError",
    "Segmenter",
    "UserKNN",
    "apply_relevance_threshold",
    "association_rules",
    "bundles",
    "detect_periods",
    "due_reminders",
    "evaluate",
    "load_cross_services",
    "load_dataset",
    "load_model",
    "member_features",
    "relevance_sets",
    "resolve_conflicts",
    "save_model",
    "service_economics",
    "time_split",
]

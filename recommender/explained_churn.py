"""Churn risk whose every score comes with its exact reasons.

A logistic regression on standardised features: the log-odds of a member is
``intercept_ + sum_j coef_j * z_j``, so ``coef_j * z_j`` is feature j's exact
contribution (in log-odds, against an average member, whose z is 0). Unlike
ranking features by a tree model's global importance, these are the model's
own per-member terms, and they add up to its score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


class ExplainedChurn:
    """Learned: ``scaler_``, ``model_``, ``columns_``."""

    def __init__(self, regularisation: float = 1.0, random_state: int = 0) -> None:
        self.regularisation = regularisation
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, fell: pd.Series) -> ExplainedChurn:
        labels = fell.astype(int).to_numpy()
        if len(np.unique(labels)) < 2:
            raise ValueError("churn labels have a single class")
        self.columns_ = list(features.columns)
        self.scaler_ = StandardScaler().fit(features.to_numpy(float))
        self.model_ = LogisticRegression(
            C=self.regularisation, random_state=self.random_state, max_iter=1000
        ).fit(self.scaler_.transform(features.to_numpy(float)), labels)
        return self

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per member and feature, the term ``coef_j * z_j`` of the log-odds."""
        z = self.scaler_.transform(features[self.columns_].to_numpy(float))
        return pd.DataFrame(z * self.model_.coef_[0], index=features.index, columns=self.columns_)

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        logit = self.contributions(features).sum(axis=1) + float(self.model_.intercept_[0])
        return pd.Series(1.0 / (1.0 + np.exp(-logit)), index=features.index, name="churn_risk")

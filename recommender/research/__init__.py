"""Research tools (feature studies, signal checks) kept apart from the estimators that serve."""

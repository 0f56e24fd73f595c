"""Outer middlewares, in the order they run: dedupe, identity, throttling."""

"""Outer middlewares, in the order they run: admission (dedupe + identity), throttling."""

"""Surveys: built by marketers, delivered from a durable outbox, answered in chat."""

"""Keyboard builders and typed callback data (64 bytes at most, re-checked on the server)."""

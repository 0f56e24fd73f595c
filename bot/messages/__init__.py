"""Renderers: domain results turned into chat text and pictures, one module per feature."""

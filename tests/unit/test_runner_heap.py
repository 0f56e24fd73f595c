"""How `refbot run` sets up the garbage collector before it serves."""

from __future__ import annotations

import gc

from bot.runner import YOUNG_COLLECTION_THRESHOLD, prepare_heap_for_serving


def test_the_startup_heap_is_frozen_and_the_young_generation_collected_rarely():
    before = gc.get_threshold()
    try:
        prepare_heap_for_serving()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

"""How `refbot run` sets up the garbage collector before it serves: what
exists at startup is out of the collector's sight, and a burst of new
objects does not set off young collections."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.runner import prepare_heap_for_serving


class Cycle:
    """An object only the cyclic collector can free."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def serving_heap() -> Iterator[None]:
    before = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_what_exists_at_startup_is_not_walked_by_collections(serving_heap):
    startup = Cycle()
    alive = weakref.ref(startup)
    prepare_heap_for_serving()
    del startup
    gc.collect()  # a full collection: it would free the cycle if it looked at it
    assert alive() is not None
    gc.unfreeze()
    gc.collect()
    assert alive() is None  # it was garbage all along; only the freeze hid it


def test_a_burst_of_new_objects_sets_off_no_young_collection(serving_heap):
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    prepare_heap_for_serving()
    gc.callbacks.append(count)
    try:
        burst = [[] for _ in range(5_000)]  # seven young collections at Python's default 700
        assert collections == []
        burst += [[] for _ in range(60_000)]
        assert collections, "past the raised threshold the young generation is collected"
    finally:
        gc.callbacks.remove(count)

"""The numerical libraries' thread pools held to one thread while a fit runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_thread() -> Iterator[None]:
    """OpenMP and BLAS run one thread inside the block, in the calling thread.

    Their own pools start a worker per core, and on a loaded two-core machine
    the workers' spinning made K-Means and gradient boosting 3-7 times slower
    than one thread (bench/bench_training_threads.py). Enter it in the thread
    that fits: OpenMP's limit belongs to the thread that sets it.
    """
    # threadpoolctl limits only the runtimes already loaded: scikit-learn's
    # own OpenMP (and scipy's OpenBLAS) load with its first import, which a
    # fit inside the block would otherwise make after the limits were set.
    import sklearn  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield

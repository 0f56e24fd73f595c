"""Similarities between the columns of a sparse binary matrix, with top-k pruning.

Given ``X`` (rows = users, columns = items, 1 = used), the co-occurrence of
columns i and j is ``c_ij = sum_u w_u x_ui x_uj`` where ``w_u = deg_u ** -row_weight_power``
(0 gives plain counts; > 0 lowers the say of very active users), and
``n_i = c_ii``. Then:

* cosine:   c_ij / (n_i ** alpha * n_j ** (1 - alpha) + shrink)   (alpha=0.5 is plain cosine)
* jaccard:  c_ij / (n_i + n_j - c_ij + shrink)
* pearson:  (c_ij / m - p_i p_j) / (s_i s_j),  p_i = n_i / m, s_i = sqrt(p_i (1 - p_i)),
  m = total row weight; computed only for co-occurring pairs (c_ij > 0) and
  negative values are dropped, so the result stays sparse.

Finally each value is raised to ``exponent`` and every row keeps its ``k``
largest entries; the diagonal is zero. The full columns x columns matrix is
never formed.

Two kernels compute the same thing (``backend``):

* ``implicit``: implicit's C++ ``all_pairs_knn`` (a per-row accumulator and a
  top-K heap, threaded; no pair is stored). Used for cosine with ``shrink`` 0
  when implicit is importable. The kernel ranks plain dot products of one
  matrix with itself, so the cosine is folded in: with
  ``M = diag(sqrt(w)) X diag(n ** -(1 - alpha))``, row i of ``M^T M`` is
  ``c_ij n_i^-(1-alpha) n_j^-(1-alpha)``; within row i the factor of i does
  not change the ranking, so the kernel's top-K is the cosine top-K and each row
  is rescaled afterwards by ``n_i^(1 - 2 alpha)`` to give
  ``c_ij / (n_i^alpha n_j^(1-alpha))`` exactly. The diagonal is a row maximum
  of that product, so the kernel is asked for ``k + 1`` and the diagonal dropped.
* ``scipy``: blocks of columns through scipy's sparse product (every
  co-occurring pair of a block materialised), then a top-k cut. Used for
  Jaccard, Pearson, cosine with ``shrink`` > 0 (its denominator does not factor,
  so the kernel's ranking would not be the metric's) and whenever implicit is
  not installed.

Both keep, where the k-th value is tied, a deterministic choice: scipy the
earliest stored entries, the kernel its heap's order; so on ties the two may keep
different (equally similar) neighbours. Values agree to float32 rounding.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

METRICS = ("cosine", "jaccard", "pearson")
BACKENDS = ("auto", "implicit", "scipy")


def _implicit_kernel():
    """implicit's ``all_pairs_knn`` or None when implicit is not importable."""
    try:
        from implicit.nearest_neighbours import all_pairs_knn
    except Exception:  # pragma: no cover - depends on the environment
        return None
    return all_pairs_knn


def similarity_backend(metric: str = "cosine", shrink: float = 0.0, backend: str = "auto") -> str:
    """The kernel :func:`column_similarity` uses for these settings: 'implicit' or 'scipy'."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "implicit" and (metric != "cosine" or shrink != 0):
        raise ValueError("the implicit kernel serves cosine with shrink 0 only")
    if backend == "scipy" or metric != "cosine" or shrink != 0:
        return "scipy"
    if _implicit_kernel() is None:
        if backend == "implicit":
            raise ImportError("backend='implicit' needs the implicit package")
        return "scipy"
    return "implicit"


def row_positions(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (into data/indices) of all entries of ``rows`` in stored order, and row lengths.

    A vectorised range gather (``np.repeat`` of each row's start plus one ``arange``)
    that needs no ``np.diff`` of the whole ``indptr``. Kept in ``indptr``'s dtype:
    every value is at most ``nnz``, which that dtype holds.
    """
    start = indptr[rows]
    ln = indptr[np.asarray(rows) + 1] - start
    before = np.cumsum(ln, dtype=indptr.dtype) - ln  # entries of earlier rows
    return np.repeat(start - before, ln) + np.arange(int(ln.sum()), dtype=indptr.dtype), ln


def top_k_per_row(m: sp.csr_matrix, k: int, budget: int = 4_000_000) -> sp.csr_matrix:
    """Keep the k largest positive values of every row (ties: the earlier stored entries).

    Works on the CSR data directly: rows with at most k entries are kept whole;
    longer rows are grouped by length (so padding stays small) and cut with
    ``np.argpartition`` in groups of about ``budget`` values. Where the k-th value is
    tied beyond the cut, the earliest stored entries win, so the result does not
    depend on how rows are grouped.
    """
    m = sp.csr_matrix(m)
    n_rows, n_cols = m.shape
    if m.nnz == 0 or k <= 0:
        return sp.csr_matrix(m.shape, dtype=m.dtype)
    if n_rows == 1:  # serving path (one member's neighbours): same rule, no grouping
        return _top_k_one_row(m, k)
    indptr = m.indptr.astype(np.int64)
    lengths = np.diff(indptr)
    out_rows, out_pos = [], []
    short = np.flatnonzero((lengths > 0) & (lengths <= k))
    if len(short):
        out_rows.append(np.repeat(short, lengths[short]))
        out_pos.append(row_positions(indptr, short)[0])
    long_rows = np.flatnonzero(lengths > k)
    long_rows = long_rows[np.argsort(lengths[long_rows], kind="stable")]
    sorted_len = lengths[long_rows]
    i = 0
    while i < len(long_rows):
        # Rows sorted by length: the group's width is its last row's length.
        cost = np.arange(1, len(long_rows) - i + 1) * sorted_len[i:]
        g = max(1, int(np.searchsorted(cost, budget, side="right")))
        grp = long_rows[i : i + g]
        i += g
        w = int(sorted_len[i - 1])
        col = np.arange(w, dtype=np.int64)
        idx = np.minimum(indptr[grp][:, None] + col, indptr[grp + 1][:, None] - 1)
        vals = m.data[idx]
        np.putmask(vals, col >= lengths[grp][:, None], -np.inf)
        part = np.argpartition(vals, w - k, axis=1)[:, w - k :]
        t = np.take_along_axis(vals, part[:, :1], axis=1)
        amb = np.count_nonzero(vals >= t, axis=1) > k  # the k-th value is tied beyond the cut
        if amb.any():
            sub, tt = vals[amb], t[amb]
            gt, eq = sub > tt, sub == tt
            need = k - np.count_nonzero(gt, axis=1)
            chosen = gt | (eq & (np.cumsum(eq, axis=1) <= need[:, None]))
            part[amb] = np.nonzero(chosen)[1].reshape(-1, k)
        out_rows.append(np.repeat(grp, k))
        out_pos.append(np.take_along_axis(idx, part, axis=1).ravel())
    rows = np.concatenate(out_rows)
    pos = np.concatenate(out_pos)
    vals = m.data[pos]
    ok = vals > 0
    out = sp.csr_matrix((vals[ok], (rows[ok], m.indices[pos[ok]])), shape=(n_rows, n_cols))
    out.sort_indices()
    return out


def _top_k_one_row(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """:func:`top_k_per_row` for a single row (identical choice, ties to earlier entries)."""
    d = m.data
    pos = top_k_positions(d, k)
    cols = m.indices[pos]
    order = np.argsort(cols, kind="stable")
    return sp.csr_matrix((d[pos][order], cols[order], np.array([0, len(pos)])), shape=m.shape)


def top_k_positions(d: np.ndarray, k: int, tie_order=None) -> np.ndarray:
    """Positions of the k largest positive values of one row's values ``d``.

    Where the k-th value is tied beyond the cut, the tied positions are taken in
    ``tie_order(tied_positions)`` order (default: as stored, earliest first).
    """
    if len(d) <= k:
        pos = np.arange(len(d))
    else:
        part = np.argpartition(d, len(d) - k)[len(d) - k :]
        t = d[part].min()
        if t > 0 and np.count_nonzero(d >= t) > k:  # the k-th value is tied beyond the cut
            gt = d > t
            need = k - np.count_nonzero(gt)
            tied = np.flatnonzero(d == t)
            if tie_order is not None:
                tied = tie_order(tied)
            gt[tied[:need]] = True
            pos = np.flatnonzero(gt)
        else:
            pos = part
    return pos[d[pos] > 0]


def row_weights(x: sp.csr_matrix, power: float) -> np.ndarray:
    deg = np.diff(sp.csr_matrix(x).indptr).astype(np.float64)
    if power == 0:
        return np.ones_like(deg)
    return np.where(deg > 0, np.maximum(deg, 1.0) ** -power, 0.0)


def column_similarity(
    x: sp.spmatrix,
    metric: str = "cosine",
    k: int = 100,
    *,
    shrink: float = 0.0,
    alpha: float = 0.5,
    exponent: float = 1.0,
    row_weight_power: float = 0.0,
    block_nnz: int = 4_000_000,
    n_threads: int = 2,
    backend: str = "auto",
) -> sp.csr_matrix:
    """Columns x columns similarity of a binary matrix, top-``k`` per row (see module doc).

    Plain cosine (``shrink`` 0) folds its normalisation into the two factors of
    the product, ``(x / n^alpha)^T (w x / n^(1 - alpha))``, so a block of the
    product already holds the similarities and goes straight to the top-k cut
    (on its CSR data, no per-entry pass). The other metrics finish each
    co-occurrence entry first. ``exponent`` (monotone) is applied to the kept
    values only. All in float32. ``backend``: 'auto' (implicit's kernel where it
    applies, see :func:`similarity_backend`), 'implicit' or 'scipy'.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    use = similarity_backend(metric, shrink, backend)
    xb = sp.csr_matrix(x, dtype=np.float32, copy=True)
    xb.eliminate_zeros()
    xb.data[:] = 1.0
    if use == "implicit":
        return _kernel_cosine(xb, k, alpha, exponent, row_weight_power, n_threads)
    w = row_weights(xb, row_weight_power).astype(np.float32)
    xw = sp.csr_matrix(sp.diags(w) @ xb)  # rows scaled by w_u
    n = np.asarray(xw.sum(axis=0)).ravel().astype(np.float64)  # c_ii
    total = float(w.sum())
    n_cols = xb.shape[1]
    direct = metric == "cosine" and shrink == 0
    if direct:
        safe = np.where(n > 0, n, 1.0)
        left = np.where(n > 0, safe**-alpha, 0.0).astype(np.float32)
        right = np.where(n > 0, safe ** -(1.0 - alpha), 0.0).astype(np.float32)
        xt = sp.csr_matrix(sp.csr_matrix(xb.T).multiply(left[:, None]))
        xw = sp.csr_matrix(xw.multiply(right[None, :]))
    else:
        xt = sp.csr_matrix(xb.T)  # columns x rows, binary
    cost = sp.csr_matrix(xb.T, dtype=np.float64) @ np.diff(xb.indptr).astype(np.float64)
    bounds, start = [], 0
    while start < n_cols:
        acc = np.cumsum(cost[start:])
        stop = start + max(1, int(np.searchsorted(acc, block_nnz, side="right")))
        bounds.append((start, stop))
        start = stop

    def work(ab: tuple[int, int]) -> sp.csr_matrix:
        co = sp.csr_matrix(xt[ab[0] : ab[1]] @ xw)  # block columns x all columns
        if not direct:
            co = _finish_values(co, np.arange(ab[0], ab[1]), n, total, metric, shrink, alpha)
        co.setdiag(0.0, k=ab[0])  # in place: every column co-occurs with itself
        out = top_k_per_row(co, k)
        if exponent != 1.0:
            out.data **= exponent
        return out

    if n_threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(n_threads) as pool:
            blocks = list(pool.map(work, bounds))
    else:
        blocks = [work(ab) for ab in bounds]
    if not blocks:
        return sp.csr_matrix((n_cols, n_cols), dtype=np.float32)
    return sp.csr_matrix(sp.vstack(blocks, format="csr"), dtype=np.float32)


def _kernel_cosine(
    xb: sp.csr_matrix,
    k: int,
    alpha: float,
    exponent: float,
    row_weight_power: float,
    n_threads: int,
) -> sp.csr_matrix:
    """Cosine top-k through implicit's ``all_pairs_knn`` (see module doc)."""
    n_cols = xb.shape[1]
    if k <= 0 or xb.nnz == 0:
        return sp.csr_matrix((n_cols, n_cols), dtype=np.float32)
    w = row_weights(xb, row_weight_power)
    deg_rows = np.repeat(np.arange(xb.shape[0]), np.diff(xb.indptr))
    n = np.bincount(xb.indices, weights=w[deg_rows], minlength=n_cols)  # c_ii
    safe = np.where(n > 0, n, 1.0)
    col = np.where(n > 0, safe ** -(1.0 - alpha), 0.0)
    m = sp.csr_matrix(
        (np.sqrt(w)[deg_rows] * col[xb.indices], xb.indices, xb.indptr), shape=xb.shape
    )
    knn = _implicit_kernel()(
        m, min(k + 1, n_cols), num_threads=max(1, int(n_threads)), show_progress=False
    )
    rows, cols, vals = knn.row, knn.col, knn.data
    keep = (rows != cols) & (vals > 0)
    rows, cols = rows[keep], cols[keep]
    vals = vals[keep] * np.where(n > 0, safe ** (1.0 - 2.0 * alpha), 0.0)[rows]
    out = sp.csr_matrix((vals.astype(np.float32), (rows, cols)), shape=(n_cols, n_cols))
    out.sort_indices()
    # Where the diagonal tied other maxima the kernel may have left it out: k + 1 remain.
    if np.diff(out.indptr).max(initial=0) > k:
        out = top_k_per_row(out, k)
    if exponent != 1.0:
        out.data **= exponent
    return sp.csr_matrix(out, dtype=np.float32)


def column_terms(n: np.ndarray, total: float, metric: str, alpha: float) -> tuple:
    """The per-column factors a metric's formula needs, over all columns (see module doc).

    cosine: (n ** alpha, n ** (1 - alpha)); jaccard: (n, n); pearson: (p, s).
    Computed once over the whole ``n`` and then gathered per pair, so a caller that
    keeps them (the one-row serving path) gets the very values the batch path uses.
    """
    if metric == "cosine":
        return n**alpha, n ** (1.0 - alpha)
    if metric == "jaccard":
        return n, n
    p = n / total
    return p, np.sqrt(np.maximum(p * (1 - p), 0))


def pair_similarity(
    c: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    terms: tuple,
    total: float,
    metric: str,
    shrink: float,
) -> np.ndarray:
    """Co-occurrence values ``c`` (float64) of pairs (rows, cols) -> similarities, negatives 0.

    ``terms`` from :func:`column_terms`; ``rows`` may be one index that broadcasts.
    """
    if metric == "cosine":
        left, right = terms
        vals = c / (left[rows] * right[cols] + shrink)
    elif metric == "jaccard":
        n = terms[0]
        vals = c / (n[rows] + n[cols] - c + shrink)
    else:
        p, sd = terms
        denom = sd[rows] * sd[cols]
        safe = np.where(denom > 0, denom, 1.0)
        vals = np.where(denom > 0, (c / total - p[rows] * p[cols]) / safe, 0.0)
    np.maximum(vals, 0.0, out=vals)
    return vals


def _finish_values(
    co: sp.csr_matrix,
    row_ids: np.ndarray,
    n: np.ndarray,
    total: float,
    metric: str,
    shrink: float,
    alpha: float,
) -> sp.csr_matrix:
    """Co-occurrence rows -> similarity values (same pattern; negatives clipped to 0)."""
    gi = np.repeat(np.asarray(row_ids), np.diff(co.indptr))
    cols = co.indices
    terms = column_terms(n, total, metric, alpha)
    vals = pair_similarity(co.data.astype(np.float64), gi, cols, terms, total, metric, shrink)
    return sp.csr_matrix((vals.astype(np.float32), cols, co.indptr), shape=co.shape)


def finish_similarity(
    co: sp.csr_matrix,
    row_ids: np.ndarray,
    n: np.ndarray,
    total: float,
    metric: str,
    k: int,
    shrink: float = 0.0,
    alpha: float = 0.5,
    exponent: float = 1.0,
) -> sp.csr_matrix:
    """Co-occurrence rows (global column ids ``row_ids``) -> pruned similarity rows."""
    blk = _finish_values(co, row_ids, n, total, metric, shrink, alpha)
    gi = np.repeat(np.asarray(row_ids), np.diff(blk.indptr))
    blk.data[blk.indices == gi] = 0.0  # zero diagonal
    if exponent != 1.0:
        blk.data **= exponent
    return top_k_per_row(blk, k)


def finish_similarity_row(
    co: np.ndarray,
    cols: np.ndarray,
    row_id: int,
    terms: tuple,
    total: float,
    metric: str,
    k: int,
    shrink: float = 0.0,
    exponent: float = 1.0,
    tie_order=None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`finish_similarity` for one row given as 1-D arrays (the serving path).

    ``co`` holds the row's nonzero co-occurrence values (float32) at columns
    ``cols`` (ascending); ``terms`` from :func:`column_terms`. Same formulas and
    dtypes step by step: values in float64, stored as float32, the diagonal
    zeroed, ``exponent`` in float32, then the top-k (ties beyond the cut in
    ``tie_order`` order, see :func:`top_k_positions`).
    Returns the kept (columns ascending, float32 values).
    """
    vals = pair_similarity(co.astype(np.float64), row_id, cols, terms, total, metric, shrink)
    vals = vals.astype(np.float32)
    vals[cols == row_id] = 0.0  # zero diagonal
    if exponent != 1.0:
        vals **= exponent
    pos = top_k_positions(vals, k, tie_order) if k > 0 else np.empty(0, dtype=np.int64)
    pos.sort()  # cols ascend, so positions in order give columns in order
    return cols[pos], vals[pos]


def cosine(x, k=100, **kw):
    return column_similarity(x, "cosine", k, **kw)


def jaccard(x, k=100, **kw):
    return column_similarity(x, "jaccard", k, **kw)


def pearson(x, k=100, **kw):
    return column_similarity(x, "pearson", k, **kw)

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
never formed: columns are processed in blocks sized by their co-occurrence cost.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

METRICS = ("cosine", "jaccard", "pearson")


def top_k_per_row(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest positive values of every row (ties broken arbitrarily but stably)."""
    m = sp.csr_matrix(m)
    n_rows, n_cols = m.shape
    lengths = np.diff(m.indptr)
    if len(m.data) == 0 or k <= 0:
        return sp.csr_matrix(m.shape, dtype=m.dtype)
    width = int(lengths.max())
    # Rows padded to a dense (rows x width) block, in slices that fit a fixed budget.
    step = max(1, 4_000_000 // max(width, 1))
    out_rows, out_cols, out_vals = [], [], []
    for a in range(0, n_rows, step):
        b = min(n_rows, a + step)
        lo, hi = m.indptr[a], m.indptr[b]
        ln = lengths[a:b]
        pos = np.arange(hi - lo) - np.repeat(m.indptr[a:b] - lo, ln)
        r = np.repeat(np.arange(b - a), ln)
        w = int(ln.max()) if len(ln) else 0
        if w == 0:
            continue
        vals = np.full((b - a, w), -np.inf, dtype=m.data.dtype)
        cols = np.zeros((b - a, w), dtype=np.int64)
        vals[r, pos] = m.data[lo:hi]
        cols[r, pos] = m.indices[lo:hi]
        if w > k:
            part = np.argpartition(-vals, k - 1, axis=1)[:, :k]
            vals = np.take_along_axis(vals, part, axis=1)
            cols = np.take_along_axis(cols, part, axis=1)
        keep = vals > 0
        rr = np.broadcast_to(np.arange(a, b)[:, None], vals.shape)
        out_rows.append(rr[keep])
        out_cols.append(cols[keep])
        out_vals.append(vals[keep])
    if not out_rows:
        return sp.csr_matrix(m.shape, dtype=m.dtype)
    out = sp.csr_matrix((np.concatenate(out_vals), (np.concatenate(out_rows),
                         np.concatenate(out_cols))), shape=(n_rows, n_cols))
    out.sort_indices()
    return out


def row_weights(x: sp.csr_matrix, power: float) -> np.ndarray:
    deg = np.diff(sp.csr_matrix(x).indptr).astype(np.float64)
    if power == 0:
        return np.ones_like(deg)
    return np.where(deg > 0, np.maximum(deg, 1.0) ** -power, 0.0)


def column_similarity(x: sp.spmatrix, metric: str = "cosine", k: int = 100, *,
                      shrink: float = 0.0, alpha: float = 0.5, exponent: float = 1.0,
                      row_weight_power: float = 0.0, block_nnz: int = 4_000_000,
                      n_threads: int = 2) -> sp.csr_matrix:
    """Columns x columns similarity of a binary matrix, top-``k`` per row (see module doc)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    xb = sp.csr_matrix(x, dtype=np.float32, copy=True)
    xb.eliminate_zeros()
    xb.data[:] = 1.0
    w = row_weights(xb, row_weight_power).astype(np.float32)
    xw = sp.csr_matrix(sp.diags(w) @ xb)  # rows scaled by w_u
    xt = sp.csr_matrix(xb.T)  # columns x rows, binary
    n = np.asarray(xw.sum(axis=0)).ravel().astype(np.float64)  # c_ii
    total = float(w.sum())
    n_cols = xb.shape[1]
    cost = xt @ np.diff(xb.indptr).astype(np.float64)  # products per column's block row
    bounds, start = [], 0
    while start < n_cols:
        acc = np.cumsum(cost[start:])
        stop = start + max(1, int(np.searchsorted(acc, block_nnz, side="right")))
        bounds.append((start, stop))
        start = stop

    def work(ab: tuple[int, int]) -> sp.csr_matrix:
        co = sp.csr_matrix(xt[ab[0]:ab[1]] @ xw)  # block columns x all columns
        rows = np.arange(ab[0], ab[1])
        return finish_similarity(co, rows, n, total, metric, k, shrink, alpha, exponent)

    if n_threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(n_threads) as pool:
            blocks = list(pool.map(work, bounds))
    else:
        blocks = [work(ab) for ab in bounds]
    if not blocks:
        return sp.csr_matrix((n_cols, n_cols), dtype=np.float32)
    return sp.csr_matrix(sp.vstack(blocks, format="csr"))


def finish_similarity(co: sp.csr_matrix, row_ids: np.ndarray, n: np.ndarray, total: float,
                      metric: str, k: int, shrink: float = 0.0, alpha: float = 0.5,
                      exponent: float = 1.0) -> sp.csr_matrix:
    """Co-occurrence rows (global column ids ``row_ids``) -> pruned similarity rows."""
    gi = np.repeat(np.asarray(row_ids), np.diff(co.indptr))
    cols = co.indices
    c = co.data.astype(np.float64)
    if metric == "cosine":
        vals = c / (n[gi] ** alpha * n[cols] ** (1.0 - alpha) + shrink)
    elif metric == "jaccard":
        vals = c / (n[gi] + n[cols] - c + shrink)
    else:
        p_i, p_j = n[gi] / total, n[cols] / total
        denom = np.sqrt(np.maximum(p_i * (1 - p_i), 0) * np.maximum(p_j * (1 - p_j), 0))
        safe = np.where(denom > 0, denom, 1.0)
        vals = np.where(denom > 0, (c / total - p_i * p_j) / safe, 0.0)
    vals[cols == gi] = 0.0  # zero diagonal
    np.maximum(vals, 0.0, out=vals)
    if exponent != 1.0:
        vals = vals ** exponent
    blk = sp.csr_matrix((vals.astype(np.float32), cols, co.indptr), shape=co.shape)
    return top_k_per_row(blk, k)


def cosine(x, k=100, **kw):
    return column_similarity(x, "cosine", k, **kw)


def jaccard(x, k=100, **kw):
    return column_similarity(x, "jaccard", k, **kw)


def pearson(x, k=100, **kw):
    return column_similarity(x, "pearson", k, **kw)

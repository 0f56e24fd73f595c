import numpy as np
import pytest
import scipy.sparse as sp

from recommender.similarity import column_similarity, top_k_per_row

# users x items
X = sp.csr_matrix(np.array([
    [1, 1, 0],
    [1, 1, 1],
    [0, 1, 1],
    [1, 0, 0],
], dtype=float))


def dense(m):
    return m.toarray()


def test_cosine_by_hand():
    s = dense(column_similarity(X, "cosine", k=5, n_threads=1))
    # n = [3, 3, 2]; c01 = 2, c02 = 1, c12 = 2
    assert s[0, 1] == pytest.approx(2 / 3)
    assert s[0, 2] == pytest.approx(1 / np.sqrt(6))
    assert s[1, 2] == pytest.approx(2 / np.sqrt(6))
    assert np.allclose(np.diag(s), 0)


def test_jaccard_by_hand():
    s = dense(column_similarity(X, "jaccard", k=5))
    assert s[0, 1] == pytest.approx(2 / 4)
    assert s[0, 2] == pytest.approx(1 / 4)
    assert s[1, 2] == pytest.approx(2 / 3)


def test_pearson_by_hand_drops_negative_values():
    s = dense(column_similarity(X, "pearson", k=5))
    a, b, c = X.toarray().T
    assert s[1, 2] == pytest.approx(np.corrcoef(b, c)[0, 1])
    assert np.corrcoef(a, c)[0, 1] < 0 and s[0, 2] == 0


def test_top_k_keeps_the_largest_per_row():
    m = sp.csr_matrix(np.array([[0.1, 0.5, 0.3, 0.0], [0.0, 0.0, 0.2, 0.9]]))
    out = dense(top_k_per_row(m, 2))
    assert np.allclose(out, [[0, 0.5, 0.3, 0], [0, 0, 0.2, 0.9]])
    assert top_k_per_row(m, 1).nnz == 2


def test_blocks_give_the_same_result_as_one_pass():
    rng = np.random.default_rng(0)
    x = sp.random(200, 60, density=0.1, random_state=1, format="csr")
    one = column_similarity(x, "cosine", k=10, block_nnz=10**9)
    many = column_similarity(x, "cosine", k=10, block_nnz=50, n_threads=2)
    assert rng is not None
    assert np.allclose(dense(one), dense(many), atol=1e-6)


def test_top_k_ties_go_to_the_earlier_entry_whatever_the_grouping():
    # one row of ten equal values, one row of distinct values: k = 3
    m = sp.csr_matrix(np.array([[0.5] * 10, [0.1 * (i + 1) for i in range(10)]]))
    for budget in (1, 10**6):
        out = top_k_per_row(m, 3, budget=budget).toarray()
        assert np.flatnonzero(out[0]).tolist() == [0, 1, 2]
        assert np.flatnonzero(out[1]).tolist() == [7, 8, 9]


def test_metrics_agree_with_a_dense_reference_on_random_data():
    x = sp.random(300, 40, density=0.15, random_state=3, format="csr")
    xb = (x.toarray() > 0).astype(float)
    deg = xb.sum(axis=1)
    w = np.where(deg > 0, np.maximum(deg, 1) ** -0.5, 0)
    c = xb.T @ (w[:, None] * xb)
    n = np.diag(c).copy()
    for alpha, shrink in ((0.5, 0.0), (1.0, 0.0), (0.3, 2.0)):
        ref = c / (n[:, None] ** alpha * n[None, :] ** (1 - alpha) + shrink)
        np.fill_diagonal(ref, 0)
        got = column_similarity(x, "cosine", k=40, alpha=alpha, shrink=shrink,
                                row_weight_power=0.5, block_nnz=200).toarray()
        assert np.allclose(got, ref, rtol=1e-5, atol=1e-6)

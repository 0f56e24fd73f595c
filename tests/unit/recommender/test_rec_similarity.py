import numpy as np
import pytest
import scipy.sparse as sp

from recommender.similarity import column_similarity, top_k_per_row

# users x items
X = sp.csr_matrix(
    np.array(
        [
            [1, 1, 0],
            [1, 1, 1],
            [0, 1, 1],
            [1, 0, 0],
        ],
        dtype=float,
    )
)


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
    x = sp.random(200, 60, density=0.1, random_state=1, format="csr")
    one = column_similarity(x, "cosine", k=10, block_nnz=10**9)
    many = column_similarity(x, "cosine", k=10, block_nnz=50, n_threads=2)
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
        got = column_similarity(
            x, "cosine", k=40, alpha=alpha, shrink=shrink, row_weight_power=0.5, block_nnz=200
        ).toarray()
        assert np.allclose(got, ref, rtol=1e-5, atol=1e-6)


def _kernel_or_skip():
    pytest.importorskip("implicit.nearest_neighbours")


@pytest.mark.parametrize("alpha,rwp", [(0.5, 0.0), (1.0, 0.5), (0.3, 0.5), (1.0, 0.0)])
def test_implicit_kernel_matches_the_scipy_path(alpha, rwp):
    _kernel_or_skip()
    x = sp.random(300, 60, density=0.08, random_state=7, format="csr")
    # k >= columns: every neighbour kept, so the two must agree entry for entry
    full_s = column_similarity(
        x, "cosine", k=60, alpha=alpha, row_weight_power=rwp, backend="scipy"
    ).toarray()
    full_i = column_similarity(
        x, "cosine", k=60, alpha=alpha, row_weight_power=rwp, backend="implicit"
    ).toarray()
    assert np.allclose(full_s, full_i, rtol=1e-5, atol=1e-7)
    assert np.allclose(np.diag(full_i), 0)
    # k = 5: the same values per row; the same neighbours wherever the 5th value is not tied
    a = column_similarity(x, "cosine", k=5, alpha=alpha, row_weight_power=rwp, backend="scipy")
    b = column_similarity(x, "cosine", k=5, alpha=alpha, row_weight_power=rwp, backend="implicit")
    untied = 0
    for i in range(x.shape[1]):
        assert np.allclose(np.sort(a[i].data), np.sort(b[i].data), rtol=1e-5)
        row = np.sort(full_s[i])[::-1]
        if row[5] == 0 or not np.isclose(row[4], row[5], rtol=1e-6):
            untied += 1
            assert a[i].indices.tolist() == b[i].indices.tolist()
    assert untied >= 10  # integer counts (alpha 1, no row weights) tie often


def test_backend_choice():
    from recommender.similarity import similarity_backend

    assert similarity_backend("jaccard") == "scipy"
    assert similarity_backend("cosine", shrink=5.0) == "scipy"
    assert similarity_backend("cosine", backend="scipy") == "scipy"
    with pytest.raises(ValueError):
        similarity_backend("pearson", backend="implicit")


def test_without_implicit_the_scipy_path_runs(monkeypatch):
    import recommender.similarity as sim

    monkeypatch.setattr(sim, "_implicit_kernel", lambda: None)
    assert sim.similarity_backend("cosine") == "scipy"
    got = sim.column_similarity(X, "cosine", k=5).toarray()
    assert got[0, 1] == pytest.approx(2 / 3)


def test_one_row_top_k_matches_the_grouped_path():
    rng = np.random.default_rng(5)
    for _ in range(50):
        vals = rng.integers(0, 4, size=30).astype(float)  # many ties, some zeros
        perm = rng.permutation(30)  # stored out of column order, as a sparse product leaves it
        row = sp.csr_matrix((vals[perm], perm, [0, 30]), shape=(1, 30))
        row.has_sorted_indices = False
        two = sp.vstack([row, row], format="csr")  # two rows: the grouped path
        for k in (1, 3, 10, 40):
            one = top_k_per_row(row, k)
            ref = top_k_per_row(two, k)[0]
            assert one.indices.tolist() == ref.indices.tolist()
            assert np.allclose(one.data, ref.data)

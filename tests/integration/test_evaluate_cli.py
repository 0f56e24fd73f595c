"""`refbot evaluate` as an operator runs it, on tiny files."""

from tests.operator_cli import refbot


def write_generic(path, rows):
    path.write_text("user_id,item_id,timestamp\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows))


def two_groups():
    rows = []
    for member in range(16):
        items = "abc" if member < 8 else "xyz"
        rows += [
            (f"m{member}", item, 1_000_000 + 86_400 * (member + 10 * n))
            for n, item in enumerate(items)
        ]
    return rows


def test_evaluate_prints_members_parameters_and_the_interval(tmp_path):
    data = tmp_path / "purchases.csv"
    write_generic(data, two_groups())
    result = refbot(tmp_path, "evaluate", "--dataset", str(data), "--budget", "2", "--k", "3")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "split: global time cut-off" in out
    assert "test members:" in out
    assert "half_life_days=" in out  # the chosen parameters beside the rows
    assert "paired bootstrap 95% interval" in out and "best other model" in out


def test_a_file_without_times_gets_the_random_hold_out(tmp_path):
    data = tmp_path / "user_artists.dat"
    lines = [
        f"{member}\t{artist}\t{10 + artist}\r\n" for member in range(12) for artist in range(6)
    ]
    data.write_text("".join(lines), newline="")
    result = refbot(
        tmp_path, "evaluate", "--dataset", str(data), "--dataset-format", "lastfm", "--budget", "1"
    )
    assert result.returncode == 0, result.stderr
    assert "no times: --split global is impossible, using random" in result.stdout
    assert "popularity-decay" not in result.stdout


def test_bad_options_and_bad_rows_exit_2_with_a_reason(tmp_path):
    data = tmp_path / "purchases.csv"
    write_generic(data, two_groups())
    bad_split = refbot(tmp_path, "evaluate", "--dataset", str(data), "--split", "leave-one-out")
    assert bad_split.returncode == 2 and "--split must be one of" in bad_split.stderr
    broken = tmp_path / "broken.dat"
    broken.write_text("1\t2\t3\n1\t2\n")
    bad_row = refbot(tmp_path, "evaluate", "--dataset", str(broken), "--dataset-format", "lastfm")
    assert bad_row.returncode == 2 and "line 2" in bad_row.stderr


def test_profiles_add_the_side_information_model(tmp_path):
    data = tmp_path / "purchases.csv"
    write_generic(data, two_groups())
    profiles = tmp_path / "profiles.csv"
    profiles.write_text(
        "user_id,income_band,region\n"
        + "".join(f"m{m},{'high' if m < 8 else 'low'},r{m % 2}\n" for m in range(16))
    )
    result = refbot(
        tmp_path, "evaluate", "--dataset", str(data), "--profiles", str(profiles), "--budget", "1"
    )
    assert result.returncode == 0, result.stderr
    assert "side information: 16 member profiles" in result.stdout
    assert "profile-popularity" in result.stdout

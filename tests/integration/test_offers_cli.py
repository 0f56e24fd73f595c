"""`refbot offers threshold`, `offers show` and `refbot stats` as an operator runs them."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from tests import operator_cli


def refbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    database = f"sqlite+aiosqlite:///{tmp_path / 'refbot.sqlite3'}"
    return operator_cli.refbot(tmp_path, *args, DATABASE_URL=database)


def floors(tmp_path: Path) -> list[tuple[str, float]]:
    with sqlite3.connect(tmp_path / "refbot.sqlite3") as db:
        return db.execute(
            "SELECT c.code, s.relevance_threshold FROM offer_settings s"
            " JOIN companies c ON c.id = s.company_id"
        ).fetchall()


def test_threshold_sets_and_replaces_a_companys_floor_and_refuses_nonsense(tmp_path):
    assert refbot(tmp_path, "company", "add", "Acme Coffee", "--code", "acme").returncode == 0
    first = refbot(tmp_path, "offers", "threshold", "acme", "0.35")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "relevance floor of acme: 0.35"
    assert refbot(tmp_path, "offers", "threshold", "acme", "0.5").returncode == 0
    assert floors(tmp_path) == [("acme", 0.5)]
    for bad in ("nan", "much"):
        refused = refbot(tmp_path, "offers", "threshold", "acme", bad)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, bad
    unknown = refbot(tmp_path, "offers", "threshold", "nope", "0.1")
    assert unknown.returncode == 2 and "no company" in unknown.stderr
    assert floors(tmp_path) == [("acme", 0.5)]


def test_stats_prints_the_partners_numbers_in_words_and_writes_the_chart(tmp_path):
    assert refbot(tmp_path, "company", "add", "Acme & Co", "--code", "acme").returncode == 0
    chart = tmp_path / "acme.png"
    result = refbot(tmp_path, "stats", "acme", "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Acme & Co: your numbers so far\n")  # no chat HTML
    assert "through your QR code: fewer than 5." in result.stdout
    assert chart.read_bytes().startswith(b"\x89PNG")
    unknown = refbot(tmp_path, "stats", "nope")
    assert unknown.returncode == 2 and "no company" in unknown.stderr


async def test_offers_show_finds_a_member_through_the_domain_and_refuses_a_ghost(tmp_path):
    from refbot.services import build_services
    from refbot.settings import Settings
    from referral.links import LinkTarget

    assert refbot(tmp_path, "company", "add", "Acme Coffee", "--code", "acme").returncode == 0
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("code,name,category,price\nlatte,Latte,coffee,250\n", encoding="utf-8")
    imported = refbot(tmp_path, "catalog", "import", str(catalog), "--company", "acme")
    assert imported.returncode == 0, imported.stderr
    database = f"sqlite+aiosqlite:///{tmp_path / 'refbot.sqlite3'}"
    services = build_services(Settings(database_url=database, data_dir=tmp_path / "data"))
    try:
        member, _ = await services.members.accept_consent(4242, LinkTarget("acme"), "ru")
    finally:
        await services.close()
    for reference in ("4242", member.pseudonym):
        shown = refbot(tmp_path, "offers", "show", reference)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith(f"member {member.pseudonym}: ")
    ghost = refbot(tmp_path, "offers", "show", "ghost")
    assert ghost.returncode == 2 and "no member 'ghost'" in ghost.stderr
    assert "Traceback" not in ghost.stderr

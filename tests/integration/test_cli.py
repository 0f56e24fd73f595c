"""The refbot command as an operator runs it, on a real SQLite file."""

from __future__ import annotations

import pytest

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR images")
from PIL import Image  # noqa: E402

from tests.operator_cli import refbot  # noqa: E402


def test_company_add_refuses_duplicates_and_empty_names(tmp_path):
    first = refbot(tmp_path, "company", "add", "Acme Coffee", "--code", "acme")
    assert first.returncode == 0 and first.stdout.strip() == "acme"
    duplicate = refbot(tmp_path, "company", "add", "Acme Again", "--code", "acme")
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    empty = refbot(tmp_path, "company", "add", "  ")
    assert empty.returncode == 2 and "empty" in empty.stderr
    assert "Traceback" not in duplicate.stderr + empty.stderr


def test_qr_png_decodes_to_the_signed_deep_link(tmp_path):
    from referral import links

    assert refbot(tmp_path, "company", "add", "Acme Coffee", "--code", "acme").returncode == 0
    out = tmp_path / "acme.png"
    result = refbot(tmp_path, "qr", "acme", "--out", str(out))
    assert result.returncode == 0, result.stderr
    decoded = zxingcpp.read_barcodes(Image.open(out))
    assert len(decoded) == 1
    link = decoded[0].text
    prefix = "https://t.me/refbot_test_bot?start="
    assert link.startswith(prefix)
    assert links.parse(link.removeprefix(prefix), b"cli-secret") == links.LinkTarget("acme")


def test_qr_svg_and_unknown_company(tmp_path):
    assert refbot(tmp_path, "company", "add", "Acme Coffee", "--code", "acme").returncode == 0
    svg = refbot(tmp_path, "qr", "acme", "--format", "svg", "--out", str(tmp_path / "a.svg"))
    assert svg.returncode == 0 and (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    missing = refbot(tmp_path, "qr", "nope")
    assert missing.returncode == 2 and "no company" in missing.stderr


def test_run_without_token_says_how_to_get_one(tmp_path):
    result = refbot(tmp_path, "run")
    assert result.returncode == 2
    assert "BotFather" in result.stderr and "Traceback" not in result.stderr


def test_grant_roles(tmp_path):
    assert refbot(tmp_path, "company", "add", "Acme Coffee", "--code", "acme").returncode == 0
    assert refbot(tmp_path, "grant", "partner", str(2**40), "--company", "acme").returncode == 0
    assert refbot(tmp_path, "grant", "partner", "5").returncode == 2
    assert refbot(tmp_path, "grant", "wizard", "5").returncode == 2
    assert refbot(tmp_path, "grant", "marketer", "5").returncode == 0

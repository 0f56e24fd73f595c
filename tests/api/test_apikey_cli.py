"""`refbot apikey create|list|revoke` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

from tests.operator_cli import refbot


def test_a_key_is_printed_once_listed_by_id_and_revoked(tmp_path: Path):
    assert refbot(tmp_path, "company", "add", "Acme", "--code", "acme").returncode == 0
    created = refbot(tmp_path, "apikey", "create", "--company", "acme", "--name", "bitrix")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("rbk_k")
    listed = refbot(tmp_path, "apikey", "list", "--company", "acme")
    [line] = listed.stdout.strip().splitlines()
    public_id, name, *_, state = line.split("\t")
    assert (name, state) == ("bitrix", "active")
    assert key.split("_")[1] == public_id
    assert key not in listed.stdout
    revoked = refbot(tmp_path, "apikey", "revoke", public_id)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in refbot(tmp_path, "apikey", "list", "--company", "acme").stdout


def test_apikey_refusals_are_one_line_and_exit_2(tmp_path: Path):
    unknown_company = refbot(tmp_path, "apikey", "create", "--company", "nope")
    assert unknown_company.returncode == 2
    assert "no company" in unknown_company.stderr
    unknown_key = refbot(tmp_path, "apikey", "revoke", "k0000000000")
    assert unknown_key.returncode == 2
    assert "no API key" in unknown_key.stderr

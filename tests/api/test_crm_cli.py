"""`refbot crm connect|list|retry|disconnect` as an operator runs them; no secret shown again."""

from __future__ import annotations

from pathlib import Path

from tests.operator_cli import refbot

CATALOG = "code,name,category,price\nlatte,Latte,coffee,250\n"


def test_connect_prints_the_url_last_and_list_shows_no_secret(tmp_path: Path):
    env = {"PUBLIC_URL": "https://refbot.example.com"}
    assert refbot(tmp_path, "company", "add", "Acme", "--code", "acme", **env).returncode == 0
    (tmp_path / "catalog.csv").write_text(CATALOG)
    imported = refbot(tmp_path, "catalog", "import", "catalog.csv", "--company", "acme", **env)
    assert imported.returncode == 0, imported.stderr
    hook = "https://acme.bitrix24.ru/rest/1/s3cr3tkey0123/"
    connected = refbot(
        tmp_path,
        *("crm", "connect", "acme", "bitrix24", "--service", "latte"),
        *("--portal-webhook", hook, "--application-token", "51856fefc120afa4"),
        *("--member-field", "UF_CRM_REFBOT"),
        **env,
    )
    assert connected.returncode == 0, connected.stderr
    url = connected.stdout.strip().splitlines()[-1]
    assert url.startswith("https://refbot.example.com/crm/bitrix24/c")
    # At rest: the database files hold the secrets only sealed (the key is in DATA_DIR).
    stored = b"".join(path.read_bytes() for path in (tmp_path / "data").glob("*.sqlite3*"))
    assert stored and b"s3cr3tkey0123" not in stored and b"51856fefc120afa4" not in stored
    assert (tmp_path / "data" / "crm_secret").stat().st_mode & 0o777 == 0o600
    listed = refbot(tmp_path, "crm", "list", "acme", **env)
    assert listed.stdout.startswith("bitrix24\t")
    for secret in ("s3cr3tkey0123", "51856fefc120afa4", url.rsplit("/", 1)[1]):
        assert secret not in listed.stdout + listed.stderr
    retried = refbot(tmp_path, "crm", "retry", "acme", "bitrix24", **env)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.startswith("0 failed CRM pushes of acme queued again")
    assert refbot(tmp_path, "crm", "retry", "nobody", **env).returncode == 2
    dropped = refbot(tmp_path, "crm", "disconnect", "acme", "bitrix24", **env)
    assert dropped.returncode == 0
    assert refbot(tmp_path, "crm", "list", "acme", **env).stdout == ""
    again = refbot(tmp_path, "crm", "disconnect", "acme", "bitrix24", **env)
    assert again.returncode == 2


def test_connect_refuses_missing_parts_and_unknown_services(tmp_path: Path):
    assert refbot(tmp_path, "company", "add", "Acme", "--code", "acme").returncode == 0
    missing = refbot(tmp_path, "crm", "connect", "acme", "amocrm", "--service", "latte")
    assert missing.returncode == 2
    assert "--subdomain" in missing.stderr
    unknown = refbot(
        tmp_path,
        *("crm", "connect", "acme", "amocrm", "--service", "latte", "--subdomain", "acme"),
        *("--token", "t0ken", "--member-field-id", "5"),
    )
    assert unknown.returncode == 2
    assert "no service 'latte'" in unknown.stderr

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


def connect_acme(tmp_path: Path, **env: str) -> None:
    assert refbot(tmp_path, "company", "add", "Acme", "--code", "acme", **env).returncode == 0
    (tmp_path / "catalog.csv").write_text(CATALOG)
    assert refbot(tmp_path, "catalog", "import", "catalog.csv", "--company", "acme").returncode == 0
    connected = refbot(
        tmp_path,
        *("crm", "connect", "acme", "bitrix24", "--service", "latte"),
        *("--portal-webhook", "https://acme.bitrix24.ru/rest/1/s3cr3tkey0123/"),
        *("--application-token", "51856fefc120afa4", "--member-field", "UF_CRM_REFBOT"),
        **env,
    )
    assert connected.returncode == 0, connected.stderr


def test_rotate_secret_puts_a_new_key_in_data_dir_and_the_old_one_opens_nothing(tmp_path: Path):
    connect_acme(tmp_path)
    key_file = tmp_path / "data" / "crm_secret"
    old_key = key_file.read_bytes()
    rotated = refbot(tmp_path, "crm", "rotate-secret")
    assert rotated.returncode == 0, rotated.stderr
    assert "1 CRM connections sealed again under a new key" in rotated.stdout
    assert "still under an older key" not in rotated.stdout
    [new_key] = key_file.read_bytes().split()  # the old key is dropped: nothing needs it
    assert new_key != old_key.strip() and key_file.stat().st_mode & 0o777 == 0o600
    assert refbot(tmp_path, "crm", "list", "acme").stdout.startswith("bitrix24\t")
    stored = b"".join(path.read_bytes() for path in (tmp_path / "data").glob("*.sqlite3*"))
    assert b"s3cr3tkey0123" not in stored and b"51856fefc120afa4" not in stored
    key_file.write_bytes(old_key)  # a copy of the old key opens nothing now
    refused = refbot(tmp_path, "crm", "list", "acme")
    assert refused.returncode == 2 and "sealed under another key" in refused.stderr


def test_rotate_secret_from_crm_secret_old_to_crm_secret(tmp_path: Path):
    first = {"CRM_SECRET": "the first crm secret"}
    connect_acme(tmp_path, **first)
    wrong = refbot(tmp_path, "crm", "rotate-secret", CRM_SECRET="not the first one")
    assert wrong.returncode == 2 and "sealed under another key" in wrong.stderr
    both = {"CRM_SECRET": "the second crm secret", "CRM_SECRET_OLD": "the first crm secret"}
    assert refbot(tmp_path, "crm", "list", "acme", **both).returncode == 0  # while rotating
    rotated = refbot(tmp_path, "crm", "rotate-secret", **both)
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.splitlines() == [
        "1 CRM connections sealed again under CRM_SECRET",
        "nothing is sealed under CRM_SECRET_OLD now: it may be unset",
    ]
    second = {"CRM_SECRET": "the second crm secret"}
    assert refbot(tmp_path, "crm", "list", "acme", **second).stdout.startswith("bitrix24\t")
    old = refbot(tmp_path, "crm", "list", "acme", **first)
    assert old.returncode == 2 and "sealed under another key" in old.stderr
    alone = refbot(tmp_path, "crm", "list", "acme", CRM_SECRET_OLD="the first crm secret")
    assert (
        alone.returncode == 2 and "CRM_SECRET_OLD is the CRM_SECRET being replaced" in alone.stderr
    )

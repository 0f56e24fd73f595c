"""`refbot webhook set` prints the secret alone on the last line; `refbot leads
CODE` lists a company's leads; `refbot leads run` refuses without a token."""

from __future__ import annotations

import sqlite3

from tests.operator_cli import refbot


def test_webhook_set_and_leads_listing(tmp_path):
    assert refbot(tmp_path, "company", "add", "Cafe", "--code", "cafe").returncode == 0
    done = refbot(tmp_path, "webhook", "set", "cafe", "https://crm.example/hooks/refbot")
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and " " not in secret
    bad = refbot(tmp_path, "webhook", "set", "cafe", "ftp://nope")
    assert bad.returncode == 2 and "http" in bad.stderr
    listed = refbot(tmp_path, "leads", "cafe")
    assert listed.returncode == 0 and "no leads" in listed.stdout
    wrong = refbot(tmp_path, "leads", "cafe", "--status", "nonsense")
    assert wrong.returncode == 2 and "--status" in wrong.stderr
    unknown = refbot(tmp_path, "leads", "nosuch")
    assert unknown.returncode == 2


def test_leads_run_needs_the_bot_token(tmp_path):
    done = refbot(tmp_path, "leads", "run")
    assert done.returncode == 2 and "BOT_TOKEN" in done.stderr


def _lease(tmp_path) -> tuple[str, str, int] | None:  # type: ignore[no-untyped-def]
    with sqlite3.connect(tmp_path / "data" / "refbot.sqlite3") as db:
        return db.execute(
            "SELECT owner, expires_at, generation FROM job_leases WHERE name = 'leads-pipeline'"
        ).fetchone()


def test_leads_run_takes_the_scheduled_pass_lease_or_says_who_has_it(tmp_path):
    token = {"BOT_TOKEN": "123456789:local-test-token", "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    first = refbot(tmp_path, "leads", "run", **token)
    assert first.returncode == 0, first.stderr
    assert "pass done" in first.stdout
    owner, _, generation = _lease(tmp_path)
    assert generation == 1 and owner.split(":")[0]  # this run's process holds this tick
    # A bot process (or another run) within the same tick finds it held.
    second = refbot(tmp_path, "leads", "run", **token)
    assert second.returncode == 3
    assert "another pipeline pass holds the lease 'leads-pipeline'" in second.stderr
    assert owner in second.stderr and "until" in second.stderr
    assert "pass done" not in second.stdout
    assert _lease(tmp_path)[2] == 1

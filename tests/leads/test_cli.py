"""`refbot webhook set` prints the secret alone on the last line; `refbot leads
CODE` lists a company's leads; `refbot leads run` refuses without a token."""

from __future__ import annotations

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

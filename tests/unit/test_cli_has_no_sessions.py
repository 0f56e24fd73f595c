"""The `refbot` commands parse, call a domain service, print: none of them opens
a database session, builds a query or touches an ORM model (the README's
"CLI commands never see a session")."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.cli

CLI = Path(bot.cli.__file__).parent
# sqlalchemy.engine.make_url only hides a password in a printed URL.
ALLOWED_SQLALCHEMY = {"sqlalchemy.engine"}


def _problems(source: str) -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if name.startswith("sqlalchemy") and name not in ALLOWED_SQLALCHEMY:
                    problems.append(f"line {node.lineno}: imports {name}")
                if name == "referral.models" or name.endswith(".models"):
                    problems.append(f"line {node.lineno}: imports ORM models from {name}")
        if isinstance(node, ast.Attribute) and node.attr == "db":
            problems.append(f"line {node.lineno}: reaches the sessionmaker (.db)")
    return problems


def test_no_cli_module_opens_a_session_or_queries():
    found = {
        path.name: problems
        for path in sorted(CLI.glob("*.py"))
        if (problems := _problems(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_rule_catches_a_session_opened_in_a_command():
    offending = (
        "from sqlalchemy import select\n"
        "from referral.models import Member\n"
        "async def run(services):\n"
        "    async with services.db() as session:\n"
        "        return await session.scalar(select(Member))\n"
    )
    assert len(_problems(offending)) == 3

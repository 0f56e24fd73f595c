"""crm_connections.settings: the partners' secrets sealed (Fernet) at rest

Rows written before this revision held the Bitrix24 webhook URL, application
token and amoCRM token as plain JSON; they are sealed here under the CRM key
(CRM_SECRET, or DATA_DIR/crm_secret: the Settings `refbot migrate` and the bot
read alike), or the ``crm_key`` a caller puts in the Alembic config's attributes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 13:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _vault():  # type: ignore[no-untyped-def]
    from referral.crm.vault import SettingsVault

    key = context.config.attributes.get("crm_key")
    if key is None:
        from refbot.settings import Settings

        return SettingsVault(Settings().crm_keys)
    return SettingsVault(key)


def _rewrite(sealing: bool) -> None:
    from referral.crm.vault import is_sealed

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, settings FROM crm_connections")).all()
    todo = [(row_id, stored) for row_id, stored in rows if is_sealed(stored) != sealing]
    if not todo:
        return  # no key is read (or made) for a database without such rows
    vault = _vault()
    for row_id, stored in todo:
        settings = vault.open(stored)
        bind.execute(
            sa.text("UPDATE crm_connections SET settings = :settings WHERE id = :id"),
            {"settings": vault.seal(settings) if sealing else json.dumps(settings), "id": row_id},
        )


def upgrade() -> None:
    _rewrite(sealing=True)


def downgrade() -> None:
    _rewrite(sealing=False)

"""change_stamps: a version per topic, so each process knows when its shared
offer state (catalogue, rules, floors, cross links) went stale

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "change_stamps",
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_change_stamps")),
    )
    op.bulk_insert(table, [{"topic": "offers", "version": 0}])


def downgrade() -> None:
    op.drop_table("change_stamps")

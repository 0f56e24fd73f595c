"""crm_connections, crm_deals, crm_events: partners' Bitrix24 and amoCRM

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_connections",
        sa.Column("id", BigId, nullable=False),
        sa.Column("public_id", sa.String(length=11), nullable=False),
        sa.Column("company_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_crm_connections_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_connections")),
        sa.UniqueConstraint("company_id", "kind", name=op.f("uq_crm_connections_company_id_kind")),
        sa.UniqueConstraint("public_id", name=op.f("uq_crm_connections_public_id")),
    )
    for table, columns in (
        (
            "crm_deals",
            [
                sa.Column("external_id", sa.String(length=32), nullable=False),
                sa.Column("state", sa.String(length=8), nullable=False),
                sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            ],
        ),
        (
            "crm_events",
            [
                sa.Column("event_key", sa.String(length=96), nullable=False),
                sa.Column("deal_id", sa.String(length=32), nullable=False),
                sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("status", sa.String(length=10), nullable=False),
                sa.Column("detail", sa.String(length=300), nullable=False),
            ],
        ),
    ):
        key = "external_id" if table == "crm_deals" else "event_key"
        op.create_table(
            table,
            sa.Column("id", BigId, nullable=False),
            sa.Column("connection_id", BigId, nullable=False),
            *columns,
            sa.ForeignKeyConstraint(
                ["connection_id"],
                ["crm_connections.id"],
                name=op.f(f"fk_{table}_connection_id_crm_connections"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("connection_id", key, name=op.f(f"uq_{table}_connection_id_{key}")),
        )


def downgrade() -> None:
    op.drop_table("crm_events")
    op.drop_table("crm_deals")
    op.drop_table("crm_connections")

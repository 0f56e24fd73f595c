"""crm_pushes: delivered leads to be created in the partner's CRM, one row each

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_pushes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("connection_id", BigId, nullable=False),
        sa.Column("lead_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("entity", sa.String(length=8), nullable=True),
        sa.Column("external_id", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["crm_connections.id"],
            name=op.f("fk_crm_pushes_connection_id_crm_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_crm_pushes_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_pushes")),
        sa.UniqueConstraint(
            "connection_id", "lead_id", name=op.f("uq_crm_pushes_connection_id_lead_id")
        ),
    )
    op.create_index(
        op.f("ix_crm_pushes_next_attempt_at"), "crm_pushes", ["next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_crm_pushes_next_attempt_at"), table_name="crm_pushes")
    op.drop_table("crm_pushes")

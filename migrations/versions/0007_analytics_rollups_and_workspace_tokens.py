"""analytics rollups (member-days, customers, snapshots) and workspace one-time tokens

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:09:15.180826
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("purchase_id", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_state")),
    )
    op.create_table(
        "workspace_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_workspace_tokens")),
    )
    with op.batch_alter_table("workspace_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workspace_tokens_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "analytics_snapshots",
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_analytics_snapshots_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_analytics_snapshots")),
    )
    op.create_table(
        "analytics_customers",
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_analytics_customers_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_analytics_customers_member_id_members")
        ),
        sa.PrimaryKeyConstraint("company_id", "member_id", name=op.f("pk_analytics_customers")),
    )
    with op.batch_alter_table("analytics_customers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analytics_customers_first", ["company_id", "first_day"], unique=False
        )

    op.create_table(
        "analytics_member_days",
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_analytics_member_days_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_analytics_member_days_member_id_members")
        ),
        sa.PrimaryKeyConstraint(
            "company_id", "day", "member_id", name=op.f("pk_analytics_member_days")
        ),
    )


def downgrade() -> None:
    op.drop_table("analytics_member_days")
    with op.batch_alter_table("analytics_customers", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_customers_first")

    op.drop_table("analytics_customers")
    op.drop_table("analytics_snapshots")
    with op.batch_alter_table("workspace_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspace_tokens_expires_at"))

    op.drop_table("workspace_tokens")
    op.drop_table("analytics_state")

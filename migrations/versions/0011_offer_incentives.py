"""offer incentives: partners' upsell, spend-drop and retention rules; the
extra cashback and the usual service each shown offer carries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULES = (
    ("upsell_margin_bp", sa.Integer(), None),
    ("upsell_cashback_max_bp", sa.Integer(), "3000"),
    ("spend_drop_bp", sa.Integer(), "0"),
    ("retention_points", sa.Integer(), "0"),
    ("retention_period_days", sa.Integer(), "30"),
    ("retention_min_spend_minor", sa.BigInteger(), "0"),
)


def upgrade() -> None:
    with op.batch_alter_table("ledger_rules") as batch:
        for name, kind, default in RULES:
            batch.add_column(
                sa.Column(name, kind, nullable=default is None, server_default=default)
            )
    with op.batch_alter_table("shown_offers") as batch:
        batch.add_column(
            sa.Column("extra_cashback_bp", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("spend_drop_bp", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column(
                "usual_service_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("usual_minor", sa.BigInteger(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_shown_offers_usual_service_id_services"),
            "services",
            ["usual_service_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("shown_offers") as batch:
        batch.drop_constraint(op.f("fk_shown_offers_usual_service_id_services"), type_="foreignkey")
        for name in ("usual_minor", "usual_service_id", "spend_drop_bp", "extra_cashback_bp"):
            batch.drop_column(name)
    with op.batch_alter_table("ledger_rules") as batch:
        for name, _, _ in reversed(RULES):
            batch.drop_column(name)

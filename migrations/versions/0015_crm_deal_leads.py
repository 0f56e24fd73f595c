"""crm_deals.lead_id: the refbot lead a followed CRM deal settles

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("crm_deals") as batch:
        batch.add_column(sa.Column("lead_id", BigId, nullable=True))
        batch.create_foreign_key(
            batch.f("fk_crm_deals_lead_id_leads"), "leads", ["lead_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("crm_deals") as batch:
        batch.drop_constraint(batch.f("fk_crm_deals_lead_id_leads"), type_="foreignkey")
        batch.drop_column("lead_id")

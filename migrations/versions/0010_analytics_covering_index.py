"""analytics_member_days: a covering index for the workspace's range queries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("analytics_member_days") as batch:
        batch.create_index(
            "ix_analytics_member_days_covering",
            ["company_id", "day", "member_id", "month", "purchases", "revenue_minor"],
        )


def downgrade() -> None:
    with op.batch_alter_table("analytics_member_days") as batch:
        batch.drop_index("ix_analytics_member_days_covering")

"""lead pipeline: cards, transitions, outcomes, webhooks, threads; leads gain card and choice

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, nullable=False)


def upgrade() -> None:
    op.create_table(
        "client_cards",
        _id(),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("services", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("deal_won", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_client_cards_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_client_cards_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_cards")),
        sa.UniqueConstraint(
            "company_id", "external_id", name=op.f("uq_client_cards_company_id_external_id")
        ),
    )
    op.create_index(op.f("ix_client_cards_company_id"), "client_cards", ["company_id"])
    op.create_index(op.f("ix_client_cards_member_id"), "client_cards", ["member_id"])

    with op.batch_alter_table("leads") as batch:
        batch.alter_column("company_id", existing_type=ID, nullable=True)
        batch.alter_column("service_id", existing_type=ID, nullable=True)
        batch.add_column(sa.Column("card_id", ID, nullable=True))
        batch.add_column(sa.Column("probability", sa.Float(), nullable=True))
        batch.add_column(sa.Column("candidates", sa.Text(), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_leads_card_id_client_cards"), "client_cards", ["card_id"], ["id"]
        )
        batch.create_unique_constraint(batch.f("uq_leads_card_id"), ["card_id"])
        batch.create_index(batch.f("ix_leads_status"), ["status"])
    op.execute(
        "UPDATE leads SET updated_at = created_at, status = 'accepted' WHERE status = 'pending'"
    )

    op.create_table(
        "lead_transitions",
        _id(),
        sa.Column("lead_id", ID, nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_transitions_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_transitions")),
    )
    op.create_index(op.f("ix_lead_transitions_lead_id"), "lead_transitions", ["lead_id"])
    op.create_table(
        "lead_outcomes",
        _id(),
        sa.Column("lead_id", ID, nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_lead_outcomes_value")),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_outcomes_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_outcomes")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_lead_outcomes_lead_id")),
    )
    op.create_table(
        "webhook_endpoints",
        _id(),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_webhook_endpoints_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("company_id", name=op.f("uq_webhook_endpoints_company_id")),
    )
    op.create_table(
        "webhook_deliveries",
        _id(),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("event_key", sa.String(length=80), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("message_id", name=op.f("uq_webhook_deliveries_message_id")),
        sa.UniqueConstraint("event_key", name=op.f("uq_webhook_deliveries_event_key")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_endpoint_id"), "webhook_deliveries", ["endpoint_id"]
    )
    op.create_index(op.f("ix_webhook_deliveries_status"), "webhook_deliveries", ["status"])
    op.create_index(
        op.f("ix_webhook_deliveries_next_attempt_at"), "webhook_deliveries", ["next_attempt_at"]
    )
    op.create_table(
        "webhook_attempts",
        _id(),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"])
    op.create_table(
        "lead_threads",
        _id(),
        sa.Column("lead_id", ID, nullable=False),
        sa.Column("partner_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_threads_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_threads")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_lead_threads_lead_id")),
    )
    op.create_table(
        "thread_messages",
        _id(),
        sa.Column("thread_id", ID, nullable=False),
        sa.Column("from_member", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["lead_threads.id"],
            name=op.f("fk_thread_messages_thread_id_lead_threads"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_messages")),
    )
    op.create_index(op.f("ix_thread_messages_thread_id"), "thread_messages", ["thread_id"])


def downgrade() -> None:
    for table in (
        "thread_messages",
        "lead_threads",
        "webhook_attempts",
        "webhook_deliveries",
        "webhook_endpoints",
        "lead_outcomes",
        "lead_transitions",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM leads WHERE card_id IS NOT NULL OR company_id IS NULL")
    op.execute("UPDATE leads SET status = 'pending'")
    with op.batch_alter_table("leads") as batch:
        batch.drop_index(batch.f("ix_leads_status"))
        batch.drop_constraint(batch.f("uq_leads_card_id"), type_="unique")
        batch.drop_constraint(batch.f("fk_leads_card_id_client_cards"), type_="foreignkey")
        for column in ("notified_at", "updated_at", "candidates", "probability", "card_id"):
            batch.drop_column(column)
        batch.alter_column("service_id", existing_type=ID, nullable=False)
        batch.alter_column("company_id", existing_type=ID, nullable=False)
    op.drop_table("client_cards")

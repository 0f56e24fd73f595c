"""Survey tables: the survey, its questions, the outbox (one row per recipient), answers.

The outbox row is also the recipient's progress through the survey, so
"who was asked", "how far they got" and "were they rewarded" live together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base, BigId

# Survey.status
DRAFT, QUEUED = "draft", "queued"
# SurveyDelivery.status: pending -> sending -> sent | unreachable | failed | in_doubt | skipped
PENDING, SENDING, SENT = "pending", "sending", "sent"
UNREACHABLE, FAILED, IN_DOUBT, SKIPPED = "unreachable", "failed", "in_doubt", "skipped"


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    segment: Mapped[str | None] = mapped_column(String(64))
    reward_points: Mapped[int] = mapped_column(Integer, default=0)
    send_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Where the marketer's progress message lives, so the drainer can edit it.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_language: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # 0-based
    kind: Mapped[str] = mapped_column(String(8))  # single, multi, rating, text
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text, default="")  # JSON list of labels


class SurveyDelivery(Base):
    """One recipient of one survey: the outbox row and the recipient's progress."""

    __tablename__ = "survey_deliveries"
    __table_args__ = (
        UniqueConstraint("survey_id", "member_id"),
        Index("ix_survey_deliveries_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(255))
    # The recipient's progress: the next question (0-based) and a multi-choice draft.
    position: Mapped[int] = mapped_column(Integer, default=0)
    picked: Mapped[str] = mapped_column(String(64), default="")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rewarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("survey_id", "member_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    position: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(Text)  # option index, JSON list of indexes, 1-5, or text
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

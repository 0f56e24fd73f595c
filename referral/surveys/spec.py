"""What a survey file (or the chat builder) may say, validated before anything is stored.

Limits follow Telegram: a message is at most 4096 characters (we keep room for
the title and "question 2/4"), a button label is kept to 64, and a keyboard of
more than 12 choices stops being usable on a phone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from referral.errors import DomainError

KINDS = ("single", "multi", "rating", "text")
CHOICE_KINDS = ("single", "multi")
MAX_OPTIONS = 12
MIN_OPTIONS = 2
MAX_QUESTIONS = 20
MAX_TITLE = 200
MAX_QUESTION_TEXT = 3500
MAX_OPTION_TEXT = 64
MAX_ANSWER_TEXT = 1000
MAX_REWARD = 100_000


class InvalidSurvey(DomainError):
    """A refused survey: ``field`` says where, ``reason`` why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _clean(value: str) -> str:
    return value.strip()


class QuestionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["single", "multi", "rating", "text"]
    text: str = Field(min_length=1, max_length=MAX_QUESTION_TEXT)
    options: list[str] = Field(default_factory=list)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        value = _clean(value)
        if not value:
            raise ValueError("the question text is empty")
        return value

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: object) -> list[str]:
        # YAML reads `[1, 2, 3]` as numbers; as labels they are text.
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("options must be a list")
        cleaned = [_clean(str(o)) for o in value]
        for option in cleaned:
            if not option:
                raise ValueError("an option is empty")
            if len(option) > MAX_OPTION_TEXT:
                raise ValueError(
                    f"option {option[:20]!r}... is longer than {MAX_OPTION_TEXT} characters"
                )
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("options repeat")
        return cleaned

    @model_validator(mode="after")
    def _options_fit_kind(self) -> QuestionSpec:
        if self.kind in CHOICE_KINDS:
            if len(self.options) < MIN_OPTIONS:
                raise ValueError(f"a {self.kind} question needs at least {MIN_OPTIONS} options")
            if len(self.options) > MAX_OPTIONS:
                raise ValueError(f"a {self.kind} question has at most {MAX_OPTIONS} options")
        elif self.options:
            raise ValueError(f"a {self.kind} question takes no options")
        return self


class SurveySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    company: str = Field(min_length=1, max_length=20)
    segment: str | None = None
    reward_points: int = Field(default=0, ge=0, le=MAX_REWARD)
    send_at: datetime | None = None
    questions: list[QuestionSpec] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = _clean(value)
        if not value:
            raise ValueError("the title is empty")
        return value


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-")) or "survey"


def parse_spec(data: object) -> SurveySpec:
    """A validated spec, or InvalidSurvey naming the first bad field and the reason."""
    if not isinstance(data, dict):
        raise InvalidSurvey("survey", "the file must be a mapping of title, company, questions...")
    try:
        return SurveySpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(p for p in first["loc"] if p not in KINDS or first["type"] != "literal_error")
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "literal_error":
            reason = f"unknown kind {first.get('input')!r}; use one of {', '.join(KINDS)}"
        if "option" in reason and loc and isinstance(loc[-1], int):
            loc = (*loc, "options")  # a rule about the options, checked on the question
        raise InvalidSurvey(_field(loc), reason) from None


def load_spec(text: str) -> SurveySpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidSurvey("file", f"not valid YAML ({error})") from None
    return parse_spec(data)

"""Domain errors; the bot and the CLI turn them into words."""


class DomainError(Exception):
    """Base of every refusal the domain can give."""


class InvalidLink(DomainError):
    """A deep-link payload that is malformed, edited, truncated or forged."""


class NotFound(DomainError):
    """An id that does not exist or belongs to another company: the HTTP API
    answers both with 404, so a caller learns nothing about other companies."""


class UnknownCompany(NotFound):
    pass


class DuplicateCompany(DomainError):
    pass


class InvalidCompany(DomainError):
    pass


class NotAMember(DomainError):
    """The user has not consented, so there is nothing to act on."""


class UnknownMember(NotFound):
    """No live member has that Telegram id or pseudonym."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"no member {reference!r}")
        self.reference = reference


class UnknownRole(DomainError):
    pass

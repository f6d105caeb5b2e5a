"""What the mailing commands (`send`, `remind`, `notify`) return: one record per message
(to whom, what, which file went with it, and how it went out) and the result around
them, whose exit status is its issues'."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ..errors import ExitStatus
from ..issues import Issue, count_errors

To = TypeVar("To", str, list[str])


@dataclass(kw_only=True)
class SentMail(Generic[To]):
    """One message written as an .eml file or handed to the SMTP server. `to` is one
    address (a department) or several (the leaders' notice). The mailing commands
    extend it with their own fields: a department's risk form, a reminder's items."""

    to: To
    subject: str
    attachment: str = ""  # the workbook attached
    eml: str = ""  # the .eml file written (without --smtp)
    sent: bool = False  # the SMTP server accepted it
    error: str = ""  # what the SMTP server said when it refused it

    @property
    def went_out(self) -> bool:
        """Written as .eml, or accepted by the server: what the ledger records."""
        return bool(self.eml) or self.sent

    def handed_over(self, error: str) -> None:
        """The SMTP server's answer: '' when it accepted the message."""
        self.sent, self.error = not error, error

    def to_dict(self) -> dict[str, Any]:
        return {"to": list(self.to) if isinstance(self.to, list) else self.to,
                "subject": self.subject, "attachment": self.attachment, "eml": self.eml,
                "sent": self.sent, "error": self.error}


@dataclass(kw_only=True)
class MailResult:
    """A mailing command's result: the week it is about and the problems met; any error
    (a department without an address, a message the server refused) makes it exit 1."""

    week: str
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.INPUT_PROBLEMS if self.errors else ExitStatus.OK

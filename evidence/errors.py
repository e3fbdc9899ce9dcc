"""The error hierarchy: one root, and a class per kind of failure the CLI maps to an exit code.

Exit codes are a contract (README.md, "Exit codes"): 0 ok, 1 verification or integrity failure,
2 usage error, 3 operational error.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from enum import StrEnum

from .message import Message

NO_MESSAGE = Message("")  # a check line with no detail


class EvidenceError(Exception):
    """Root of every error the library raises on purpose."""

    exit_code = 3

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """One line: what happened, to what, and (after a semicolon) what to do."""
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message


class Worded(EvidenceError):
    """An error whose message is a Message (evidence.message): worded from the catalogue, so a
    finding made from it prints in a document's own language. The errors raised while reading
    hostile input that findings then report are of this kind: the raise sites are held to the
    findings' rule (tests/test_messages.py)."""

    message: Message


class UsageError(EvidenceError):
    """The request itself is wrong: an unknown action, a bad value, a missing option."""

    exit_code = 2


class UsageProblems(UsageError):
    """Several things wrong with one request, reported together (exit 2)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problems with this command line")
        self.problems = list(problems)

    def diagnostics(self) -> str:
        """The headline, then one line per problem."""
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])


class OperationalError(EvidenceError):
    """The environment failed us: missing file, wrong passphrase, locked or foreign ledger."""

    exit_code = 3


class NotFoundError(OperationalError):
    """A case, item, key or file that was named does not exist."""


class PassphraseError(OperationalError):
    """A private key could not be decrypted with the passphrase given."""


class InputRejected(OperationalError):
    """Hostile or malformed input from outside (a file, zip, manifest) that we refuse to use."""


class Malformed(Worded, InputRejected):
    """Hostile or malformed input refused, worded from the catalogue: what the readers of
    evidence (checkpoints, notes, proofs, tokens, trust records, zips) raise."""

    def __init__(self, message: Message, hint: str | None = None) -> None:
        super().__init__(message, hint)


# The system's reasons a file cannot be read, worded here as the C library words them (the
# terminal prints what it always did; a document prints the catalogue's Russian).
_OS_REASONS = {
    errno.ENOENT: "No such file or directory",
    errno.EACCES: "Permission denied",
    errno.EPERM: "Operation not permitted",
    errno.EISDIR: "Is a directory",
    errno.ENOTDIR: "Not a directory",
    errno.ELOOP: "Too many levels of symbolic links",
    errno.EIO: "Input/output error",
    errno.ENAMETOOLONG: "File name too long",
}


def os_reason(exc: OSError) -> Message:
    """Why the system refused a file, as a Message (another reason by its errno name)."""
    known = _OS_REASONS.get(exc.errno or 0)
    if known is not None and known == exc.strerror:
        return Message(_OS_REASONS[exc.errno or 0])
    return Message("system error {code}", code=errno.errorcode.get(exc.errno or 0, exc.errno))


class CheckStatus(StrEnum):
    """What became of one check (schemas/check.schema.json `status`)."""

    OK = "ok"
    FAILED = "failed"
    WARNING = "warning"  # holds, with a reservation the reader must act on
    SKIPPED = "skipped"  # could not run because an earlier check failed


def check_json(
    check: str, status: str, subject: str | None, message: str | None
) -> dict[str, str | None]:
    """The one JSON shape of a check, in `audit --json` and `verify --json` alike.

    Described by schemas/check.schema.json (docs/formats.md); an absent value is null.
    """
    return {"check": check, "status": status, "subject": subject, "message": message}


@dataclass(frozen=True)
class Check:
    """One line of a verdict, the audit's or a bundle verification's: which check, what became
    of it, where (a file, an item; "" for the whole check) and a short message."""

    name: str
    status: CheckStatus
    subject: str = ""
    # English, with its template and values kept (evidence.message): documents in another
    # language print it from the catalogue.
    message: Message = NO_MESSAGE

    @property
    def ok(self) -> bool:
        """True unless the check failed."""
        return self.status != CheckStatus.FAILED

    @property
    def detail(self) -> str:
        """The message (the word the audit's verdict lines and custody-report/1 use)."""
        return self.message

    def to_json(self) -> dict[str, str | None]:
        """The one JSON shape of a check (see check_json)."""
        subject = None if self.subject in ("", "-") else self.subject
        return check_json(self.name, self.status, subject, self.message or None)


@dataclass(frozen=True)
class Finding:
    """One failed check: where (item, event, file) and what is wrong."""

    check: str
    subject: str
    message: Message  # English, template and values kept (evidence.message)

    def to_json(self) -> dict[str, str | None]:
        """A failed check in the one JSON shape of a check (see check_json)."""
        return check_json(self.check, CheckStatus.FAILED, self.subject, self.message)

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.message}"


class VerificationError(EvidenceError):
    """Integrity failed: carries every finding, not only the first."""

    exit_code = 1

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message)
        self.findings = findings

    def diagnostics(self) -> str:
        """The headline followed by one line per finding."""
        lines = [self.message, *(f"  - {f}" for f in self.findings)]
        return "\n".join(lines)


class LedgerDamaged(VerificationError):
    """A ledger row cannot even be read (edited outside the tool): exit 1, run an audit."""

    def __init__(self, what: str, problem: Message) -> None:
        super().__init__(
            f"ledger: {what} is damaged ({problem}); run `custody audit` for every problem",
            [Finding("ledger", what, problem)],
        )

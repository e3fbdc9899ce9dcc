"""The recipient's verification report: what `custody verify` found, on paper, in one language.

It is made from the bundle alone (the recipient has none of our data): the same verdict
table `custody verify` prints, per check and per item, every irregular custody event, who
signed the manifest, and the SHA-256 of the bundle file itself, so the paper names exactly
the file it speaks about. Every word comes from the message catalogue; a check's line says
what the check establishes in the report's language, and the program's own detail where the
check failed or warns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from .. import __version__
from ..bundle.packaging import ALSO, INTACT, UNCHANGED, Packaging
from ..bundle.verify import VerifyResult
from ..bundle.verifytext import colon_fingerprint
from ..entries import Irregularity
from ..timefmt import utc_now
from .custody import irregularity_section
from .layout import (
    FAIL_COLOUR,
    WIDTH,
    Furniture,
    build_pdf,
    check_para,
    field_name,
    field_table,
    grid_table,
    heading,
    hex_lines,
    hex_para,
    markup,
    para,
    styles,
    verdict_box,
)
from .locale import Locale

KIND = "Bundle verification report"
WARN_COLOUR = colors.HexColor("#8a5a00")

# custody verify's three outcomes, in words (a photocopy loses colour).
WORDS = {
    "verified": "VERIFIED",
    "signer-unverified": "INTACT — SIGNER NOT ESTABLISHED",
    "failed": "FAILED",
}


@dataclass(frozen=True)
class CheckRow:
    """One line of the verdict table: RESULT, CHECK, SUBJECT, DETAIL, as custody verify prints."""

    status: str  # ok | failed | warning | skipped
    name: str
    subject: str
    message: str


@dataclass(frozen=True)
class ItemRow:
    """One item: its file, whether digests and chain hold, its events and last custodian."""

    item_id: str
    file: str
    digests_ok: bool
    chain_ok: bool
    events: int
    last_custodian: str | None
    sha256: str | None = None


@dataclass(frozen=True)
class SignerRow:
    """Who signed manifest.json and on what basis that identity was (or was not) established."""

    subject: str
    fingerprint: str
    established: bool
    basis: str
    name: str = ""  # reading order: name, role, organisation, country


@dataclass(frozen=True)
class VerificationData:
    """Everything the verification report prints."""

    source: str
    bundle_sha256: str
    verified_at: str
    tool_version: str
    status: str  # verified | signer-unverified | failed
    checks: tuple[CheckRow, ...]
    items: tuple[ItemRow, ...]
    signer: SignerRow | None
    manifest_sha256: str | None
    request_ref: str | None
    verified_by: str = ""
    verified_with: str = ""  # the fingerprints or --trust files the identity was checked against
    irregularities: tuple[Irregularity, ...] = ()
    packaging: Packaging = UNCHANGED

    @property
    def word(self) -> str:
        """The verdict in words."""
        return WORDS.get(self.status, "FAILED")


def verification_data(
    result: VerifyResult,
    bundle_sha256: str,
    *,
    verified_at: str | None = None,
    verified_by: str = "",
    verified_with: str = "",
) -> VerificationData:
    """Report data from a bundle verification result (checks, items and signer as they are)."""
    signer = result.signer
    return VerificationData(
        source=result.source,
        bundle_sha256=bundle_sha256,
        verified_at=verified_at or utc_now(),
        tool_version=__version__,
        status=result.status,
        checks=tuple(CheckRow(c.status, c.name, c.subject, c.message) for c in result.checks),
        items=tuple(
            ItemRow(
                i.item_id, i.file, i.digests_ok, i.chain_ok, i.events, i.last_custodian, i.sha256
            )
            for i in result.items
        ),
        signer=None
        if signer is None
        else SignerRow(
            signer.subject, signer.fingerprint, signer.established, signer.basis, signer.name
        ),
        manifest_sha256=result.manifest_sha256,
        request_ref=result.request_ref,
        verified_by=verified_by,
        verified_with=verified_with,
        irregularities=result.irregularities,
        packaging=result.packaging,
    )


# What each check of custody verify establishes, in words a court reads.
CHECK_TEXT = {
    "zip": "the zip file is read the strictest way; every reader sees the same files",
    "bag.structure": "the BagIt structure (RFC 8493) is complete",
    "bag.names": "file names are safe and none collide",
    "bag.complete": "every listed file is present and nothing unlisted",
    "bag.fixity": "every file matches its listed SHA-256 and SHA-512",
    "bag.info": "the bag description matches the payload",
    "cms.signature": "the signature over manifest.json is valid",
    "cms.tags": "the signature over the tag manifest is valid",
    "cms.timestamp": "the trusted time-stamp of the signature is valid",
    "signer.certificate": "the signer's certificate is readable",
    "signer.validity": "the signer's certificate was valid when it signed",
    "signer.identity": "the signer is the one the recipient trusts",
    "manifest.json": "manifest.json is canonical JSON",
    "manifest.schema": "manifest.json follows its published schema",
    "manifest.issuer": "the issuer named in the manifest is the signer",
    "manifest.certificates": "the certificates in the manifest match their fingerprints",
    "item.files": "every evidence file matches the signed digests",
    "item.coverage": "every evidence file is described in the signed manifest",
    "item.chain": "every custody event: signature, hash, link and order",
    "item.facts": "item facts match what was signed at seizure",
    "custody.trust": "every custodian is enrolled by the sender's trust root",
    "custody.irregular": "irregular custody events (listed below)",
    "log.inclusion": "every custody event is proved in the sender's append-only log",
    "log.timestamp": "the trusted time-stamp of the sender's checkpoint is valid",
}
# Each check of custody verify by a name a court reads (the identifier the terminal and --json
# print is set small beside it in English).
CHECK_NAMES = {
    "zip": "zip file",
    "bag.structure": "bag structure",
    "bag.names": "file names",
    "bag.complete": "completeness",
    "bag.fixity": "file digests",
    "bag.info": "bag description",
    "cms.signature": "manifest signature",
    "cms.tags": "tag manifest signature",
    "cms.timestamp": "signature time-stamp",
    "signer.certificate": "signer's certificate",
    "signer.validity": "certificate validity",
    "signer.identity": "signer's identity",
    "manifest.json": "manifest form",
    "manifest.schema": "manifest schema",
    "manifest.issuer": "manifest issuer",
    "manifest.certificates": "manifest certificates",
    "item.files": "evidence files",
    "item.coverage": "manifest coverage",
    "item.chain": "custody chains",
    "item.facts": "item facts",
    "custody.trust": "custodians' standing",
    "custody.irregular": "irregular events",
    "log.inclusion": "log inclusion",
    "log.timestamp": "checkpoint time-stamp",
}
# Subjects of checks that are words, not file names or identifiers: translated.
SUBJECTS = frozenset(
    {"bag", "items", "chains", "issuer", "trust", "custody", "certificates", "log"}
)
STATUS_TEXT = {"ok": "PASSED", "failed": "FAILED", "warning": "WARNING", "skipped": "SKIPPED"}


def _detail(loc: Locale, c: CheckRow) -> str:
    """What the check establishes, in the report's language; for a failure or a warning also
    the program's detail, from the catalogue (Locale.say)."""
    message = loc.say(c.message)
    text = loc.t(CHECK_TEXT[c.name]) if c.name in CHECK_TEXT else message
    if c.status in ("failed", "warning"):
        return f"{text}: {message}" if text != message else text
    return text


def _verdict(data: VerificationData, loc: Locale) -> list[Flowable]:
    st = styles()
    failed = [c for c in data.checks if c.status == "failed"]
    good = sum(1 for i in data.items if i.digests_ok and i.chain_ok)
    lines = [
        loc.t("Checks: {n}; failed: {failed}.", n=len(data.checks), failed=len(failed)),
        loc.t(
            "Items intact with an unbroken custody chain: {good} of {n}.",
            good=good,
            n=len(data.items),
        ),
        loc.t("Irregularities in custody: {n}.", n=len(data.irregularities)),
    ]
    if data.packaging.changed:
        lead = loc.t(ALSO if data.status == "failed" else INTACT)
        changes = "; ".join(data.packaging.describe(loc.t))
        lines.append(f"{lead[:1].upper()}{lead[1:]}: {changes}.")
    state: bool | None = data.status == "verified"
    if data.status == "signer-unverified":
        state = None
        lines.append(
            loc.t(
                "The files are intact and the manifest validly signed, but the signer's identity "
                "was not established: compare the certificate fingerprint below with the one the "
                "sender gave by letter or telephone."
            )
        )
    out: list[Flowable] = [
        KeepTogether([verdict_box(loc.t(data.word), state, lines)]),
        Spacer(1, 3 * mm),
    ]
    rows = [
        (
            para(loc.t(STATUS_TEXT.get(c.status, c.status)), st.cell_bold),
            check_para(loc, c.name, CHECK_NAMES),
            para(loc.t(c.subject) if c.subject in SUBJECTS else loc.say(c.subject)),
            para(_detail(loc, c)),
        )
        for c in data.checks
    ]
    colour = {"failed": FAIL_COLOUR, "warning": WARN_COLOUR}
    marks = [
        ("TEXTCOLOR", (0, n), (0, n), colour[c.status])
        for n, c in enumerate(data.checks, start=2)
        if c.status in colour
    ]
    out.append(
        grid_table(
            [loc.t("Result"), loc.t("Check"), loc.t("Subject"), loc.t("Detail")],
            rows,
            (58, 90, 120, WIDTH - 268),
            extra=marks,
            caption=loc.t("Checks"),
        )
    )
    return out


def _irregular(data: VerificationData, loc: Locale) -> list[Flowable]:
    return [Spacer(1, 3 * mm), *irregularity_section(data.irregularities, loc)]


def _items(data: VerificationData, loc: Locale) -> list[Flowable]:
    st = styles()
    if not data.items:
        return [
            para(loc.t("Items"), st.h1),
            para(loc.t("No item could be read from the manifest."), st.body),
        ]
    ok, bad = loc.t("intact"), loc.t("FAILED")
    rows = [
        (
            para(i.item_id),
            para(i.file),
            ok if i.digests_ok else bad,
            ok if i.chain_ok else bad,
            str(i.events),
            para(i.last_custodian or "–"),
        )
        for i in data.items
    ]
    marks = [
        ("TEXTCOLOR", (col, n), (col, n), FAIL_COLOUR)
        for n, i in enumerate(data.items, start=2)
        for col, good in ((2, i.digests_ok), (3, i.chain_ok))
        if not good
    ]
    return [
        Spacer(1, 4 * mm),
        grid_table(
            [
                loc.t("Item"),
                loc.t("File"),
                loc.t("Digests"),
                loc.t("Chain"),
                loc.t("Events"),
                loc.t("Last custodian"),
            ],
            rows,
            (62, 186, 52, 52, 40, WIDTH - 392),
            extra=marks,
            caption=loc.t("Items ({n})", n=len(data.items)),
        ),
        Spacer(1, 3 * mm),
        grid_table(
            [loc.t("Item"), loc.t("SHA-256 in the signed manifest")],
            [(para(i.item_id), hex_para(i.sha256 or "–", style=st.digest)) for i in data.items],
            (62, WIDTH - 62),
            caption=loc.t("Item digests"),
        ),
    ]


def _signer(data: VerificationData, loc: Locale) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [para(loc.t("Signer of the manifest"), st.h1)]
    s = data.signer
    if s is None:
        return [*out, para(loc.t("No signer could be read from the signature."), st.body)]
    basis = loc.t("established") if s.established else loc.t("NOT ESTABLISHED")
    return [
        *out,
        field_table(
            [
                # Name, role, organisation, country: the role from the catalogue.
                (
                    loc.t("Signer"),
                    ", ".join(loc.role(p) for p in s.name.split(", ")) or s.subject,
                ),
                (
                    loc.t("Certificate SHA-256"),
                    markup_fingerprint(s.fingerprint),
                ),
                (loc.t("Identity"), basis),
            ]
        ),
    ]


def markup_fingerprint(fp: str) -> Flowable:
    """A fingerprint in hex, then in openssl's colon form, as a recipient compares it."""
    st = styles()
    colon = colon_fingerprint(fp)
    return markup(f"{hex_lines(fp)}<br/><font size='6'>{colon}</font>", st.digest)


def render_verification_report(
    result: VerifyResult | VerificationData,
    bundle_sha256: str,
    *,
    verified_at: str | None = None,
    verified_by: str = "",
    verified_with: str = "",
    locale: Locale | None = None,
) -> bytes:
    """The verification report as PDF bytes, wholly in the locale's language.

    result: evidence.bundle.verify.verify_bundle's result; bundle_sha256: SHA-256 of the bundle file
    as received (of the zip; for a folder, whatever digest the caller chose to name it by).
    verified_with: the fingerprints (hex) the signer was checked against, ", "-separated.
    """
    loc = locale or Locale()
    data = (
        result
        if isinstance(result, VerificationData)
        else verification_data(
            result,
            bundle_sha256,
            verified_at=verified_at,
            verified_by=verified_by,
            verified_with=verified_with,
        )
    )
    st = styles()
    reference = data.request_ref or "–"
    pairs: list[tuple[str, Any]] = [
        (loc.t("Bundle"), field_name(data.source) if data.source else "–"),
        (loc.t("Bundle SHA-256"), hex_para(data.bundle_sha256, style=st.digest)),
        (loc.t("Request reference"), reference),
        (loc.t("Manifest SHA-256"), hex_para(data.manifest_sha256, style=st.digest)),
        (loc.t("Verified at"), loc.when(data.verified_at, " ")),
        (loc.t("Verified by"), data.verified_by or loc.t("not stated")),
        (
            loc.t("Signer checked against"),
            data.verified_with or loc.t("nothing: the signer is not established"),
        ),
        (
            loc.t("Tool"),
            loc.t("custody (evidence toolkit) version {version}", version=data.tool_version),
        ),
    ]
    story: list[Flowable] = [
        Paragraph(loc.t("BUNDLE VERIFICATION REPORT"), st.title),
        heading(loc.t("Request {reference}", reference=reference), st.h1),
        field_table(pairs),
        Spacer(1, 4 * mm),
        *_verdict(data, loc),
        *_irregular(data, loc),
        *_items(data, loc),
        *_signer(data, loc),
        Spacer(1, 6 * mm),
        para(
            loc.t(
                "End of report: items: {items}; verdict: {verdict}.",
                items=len(data.items),
                verdict=loc.t(data.word),
            ),
            st.h2,
        ),
    ]
    furniture = Furniture(
        kind=loc.t(KIND),
        case_number=reference,
        generated_at=data.verified_at,
        footer_note=loc.t("bundle SHA-256 {digest}", digest=data.bundle_sha256),
        label="request",
        locale=loc,
    )
    author = data.verified_by or "custody verify"
    return build_pdf(story, furniture, title=f"{loc.t(KIND)} {reference}", author=author)

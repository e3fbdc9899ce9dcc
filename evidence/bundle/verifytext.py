"""VERIFY.txt: how a recipient checks a bundle with our tool, or with openssl and sha256sum only,
in English and Russian, with the same steps for Windows (PowerShell and OpenSSL for Windows).

Its words are msgids of the message catalogue (evidence/messages): both halves are one text,
the English half printing the msgids as they are, the Russian half its translation through
ru.po, with the same steps, in the same order, with the same commands; commands, file names and
fingerprints are printed literally. Each bundle signs its own VERIFY.txt, so a change of wording
changes only new bundles (tests/data/verify_txt holds today's text of every variant).

Each step says what it proves and what it does not, because a recipient who skips the
out-of-band fingerprint comparison has verified only that *someone* signed the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..display import printable
from ..messages import Words
from .custodians import carried_anchor
from .fingerprints import colon_fingerprint as colon_fingerprint  # its home; re-exported


def _line(value: Any) -> str:
    # Values typed by people or taken from certificates: one line, nothing a terminal obeys.
    return printable(" ".join(str(value).split()))


# Each command is one line, so that it can be pasted whole into any shell. Lines of VERIFY.txt
# that begin with "    $ " are POSIX shell commands, "    PS> " PowerShell; the tests run the
# POSIX ones literally against every hostile bundle.
#
# The plain path fails closed: the fingerprint shown is that of the certificate that actually
# verified the signatures (-signer writes it out), never the first one in signer.pem; both
# signatures must come from that one certificate; every line of both signed lists is checked
# (--strict refuses a malformed one); nothing from the bundle is used as a pattern; and the
# files written go to a fresh temporary folder, not into the bundle (where a planted link
# could point them elsewhere).
UNZIP_COMMAND = "unzip -q {name}.zip -d {name}-check && cd {name}-check/{name}"
TMP_COMMAND = "T=$(mktemp -d)"
CMS_COMMANDS = (
    "openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json"
    ' -CAfile signer.pem -purpose any -signer "$T/m.pem" -out /dev/null',
    "openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s"
    ' -content tagmanifest-sha256.txt -CAfile signer.pem -purpose any -signer "$T/t.pem"'
    " -out /dev/null",
    'cmp "$T/m.pem" "$T/t.pem" && echo "one signer"',
)
WHO_COMMAND = (
    'openssl x509 -in "$T/m.pem" -noout -subject -nameopt utf8 -dates -fingerprint -sha256'
)
LIST_COMMAND = (
    "sha256sum -c --strict tagmanifest-sha256.txt && sha256sum -c --strict manifest-sha256.txt"
    ' && echo "all files OK"'
)
COUNT_COMMAND = "find . ! -type d | wc -l"
# Files outside data/ in a bundle without cover.pdf: bagit.txt, bag-info.txt, two payload and two
# tag manifests, manifest.json and its signature, signer.pem, VERIFY.txt, the tag signature.
TAG_COUNT = 11


def plain_steps(name: str) -> tuple[tuple[str, ...], ...]:
    """The POSIX commands of the plain path, step by step (0 to 4), for VERIFY.txt and the
    cover sheet alike: both signatures (the tag manifest's too), then the tag manifest, then
    the payload manifests, then the count of files."""
    return (
        (UNZIP_COMMAND.format(name=name),),
        (TMP_COMMAND, *CMS_COMMANDS),
        (WHO_COMMAND,),
        (LIST_COMMAND,),
        (COUNT_COMMAND,),
    )


def file_count(manifest: Mapping[str, Any], *, cover: bool) -> int:
    """What step 4 must print: evidence files plus the tag files of this bundle."""
    items = manifest.get("items")
    # evidence-manifest/3: each excerpt is two payload files; tag_files names extra tag files
    excerpts, extra = manifest.get("excerpts"), manifest.get("tag_files")
    files = (len(items) if isinstance(items, list) else 0) + 2 * (
        len(excerpts) if isinstance(excerpts, list) else 0
    )
    extra_count = len(extra) if isinstance(extra, list) else 0
    return files + TAG_COUNT + cover + extra_count + log_file_count(manifest)


def log_file_count(manifest: Mapping[str, Any]) -> int:
    """The log/ files the manifest declares (evidence-manifest/4, bundle/logproofs.py): the
    checkpoint, its note and one proof per custody event; none before version 4."""
    log = manifest.get("log")
    proofs = log.get("proofs") if isinstance(log, dict) else None
    return 2 + proofs if type(proofs) is int else 0


def shell_lines(command: str, width: int) -> list[str]:
    """command as lines of at most width characters (where it can), every line but the last
    ending in " \\": what a POSIX shell reads as the one command, pasted or typed from paper.

    Breaks only at spaces outside quotes, where a backslash-newline is a line continuation.
    """
    words: list[str] = []
    current, quote = "", ""
    for char in command:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == " ":
            words.append(current)
            current = ""
            continue
        current += char
    words.append(current)
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) + 2 > width:
            lines.append(line + " \\")
            line = "  " + word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines


PS_TMP = "$T = New-Item -ItemType Directory (Join-Path $env:TEMP ([guid]::NewGuid()))"
PS_CMS = (
    "openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json"
    ' -CAfile signer.pem -purpose any -signer "$T\\m.pem" -out NUL',
    "openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s"
    ' -content tagmanifest-sha256.txt -CAfile signer.pem -purpose any -signer "$T\\t.pem"'
    " -out NUL",
    'if ((Get-FileHash "$T\\m.pem").Hash -eq (Get-FileHash "$T\\t.pem").Hash) { "one signer" }',
)
PS_WHO = 'openssl x509 -in "$T\\m.pem" -noout -subject -nameopt utf8 -dates -fingerprint -sha256'
PS_LIST = (
    "foreach ($l in 'tagmanifest-sha256.txt','manifest-sha256.txt') { Get-Content -Encoding UTF8"
    " $l | ForEach-Object { $h, $p = $_ -split '  ', 2; if ((Get-FileHash -Algorithm SHA256"
    ' -LiteralPath $p).Hash -eq $h) { "OK $p" } else { "FAILED $p" } } }'
)
PS_COUNT = "(Get-ChildItem -Recurse -Force -File).Count"


# Where the documents' words come from. Both halves of VERIFY.txt are one text written in
# English msgids: the English half prints them as they are, the Russian half through the
# Russian catalogue (evidence/messages/ru.po), so the two give the same steps in the same order
# with the same commands. Commands, file names and fingerprints are printed literally.
EN, RU = Words("en"), Words("ru")


def _indent(text: str, first: str, rest: str | None = None) -> str:
    # The catalogue holds text without the page's indentation; each line gets it here.
    lines = text.splitlines()
    rest = first if rest is None else rest
    return "".join((first if i == 0 else rest) + line + "\n" for i, line in enumerate(lines))


def heading(title: str, rule: str) -> str:
    """A heading and its underline, as long as the heading in whatever language it is."""
    return f"{title}\n{rule * len(title)}\n"


def _title(words: Words, other: Words) -> str:
    # Each title points to the other half in that half's language.
    title = words.t("HOW TO VERIFY THIS EVIDENCE BUNDLE")
    pointer = other.t('English text: section "HOW TO VERIFY"')
    return f"{title}  ({pointer})\n{'=' * len(title)}\n\n"


def _fingerprint_lines(value: str) -> str:
    return f"    {value}\n    {colon_fingerprint(value)}\n"


def files(words: Words, count: int) -> str:
    """ "3 files" in the language's plural form (1 файл, 2 файла, 5 файлов)."""
    return words.n("{n} file", "{n} files", count)


def _custody_command(words: Words, name: str) -> str:
    return (
        f"    custody verify {name}.zip --fingerprint {words.t('FINGERPRINT-FROM-LETTER')}"
        f" --anchor {words.t('ANCHOR-FROM-LETTER')}\n"
    )


def _ca_note(words: Words, self_signed: bool) -> str:
    # A certificate issued by an agency CA is no trust anchor on its own for openssl.
    if self_signed:
        return ""
    return _indent(
        words.t(
            "The signer's certificate was issued by a certification authority: add"
            " -partial_chain to the\ntwo openssl cms commands, or replace signer.pem after"
            " -CAfile with that authority's\ncertificate."
        ),
        "  ",
    )


def _anchor(words: Words, manifest: Mapping[str, Any]) -> str:
    anchor = carried_anchor(manifest.get("trust"))
    if anchor is None:
        return ""
    return words.t(
        "Trust root (anchor) SHA-256 fingerprint of the sending authority: every custody"
        " event's signer\nmust be enrolled by it. Compare it with the one in the seizure"
        " protocol or the request letter,\nnever with this copy.\n"
    ) + _fingerprint_lines(anchor)


def _summary(w: Words, v: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """What the bundle is, who signed it, and the fingerprints to compare."""
    return "".join(
        (
            w.t(
                "Bundle:        {name}\n"
                "Case:          {case_number} - {case_title}\n"
                "Request:       MLA request {reference} of {date}\n"
                "Legal basis:   {legal_basis}\n"
                "From:          {requesting_authority}\n"
                "To:            {addressee} ({requested_state})\n"
                "Signed by:     {issuer_name}, {issuer_org} ({issuer_country})\n",
                **v,
            ),
            w.t(
                "Evidence:      {files}, {size}\n",
                files=files(w, v["count"]),
                size=w.n("{size} byte", "{size} bytes", v["total"], size=v["total"]),
            ),
            "\n",
            w.t(
                "Signer certificate SHA-256 fingerprint. This copy travels with the bundle,"
                " so it proves\nnothing: compare with the one you received by letter"
                " (step 2).\n"
            ),
            _fingerprint_lines(v["fingerprint"]),
            _anchor(w, manifest),
            w.t("SHA-256 of manifest.json:\n"),
            f"    {v['manifest_sha256']}\n\n\n",
            heading(w.t("WHAT IS IN THIS FOLDER"), "-"),
            w.t(
                "data/                  the evidence files, one folder per item:"
                " data/<item id>/<file name>.\n"
                "                       File names were made safe for every system;"
                " manifest.json keeps the\n"
                "                       original names.\n"
                "manifest.json          the signed statement: case, request, and for every"
                " item its SHA-256 and\n"
                "                       SHA-512 digests, metadata, content summary and"
                " complete chain of custody\n"
                "                       (every event signed by the person who performed"
                " it).\n"
                "manifest.json.p7s      the signature over manifest.json (CMS, RFC 5652),"
                " signer certificate inside.\n"
                "tagmanifest-sha256.txt SHA-256 of every other file outside data/ (this"
                " text, the cover sheet,\n"
                "tagmanifest-sha256.txt.p7s  the lists below...), and its signature by the"
                " same certificate.\n"
                "manifest-sha256.txt    SHA-256 of every evidence file (BagIt, RFC 8493);"
                " sha256sum reads it.\n"
                "manifest-sha512.txt, tagmanifest-sha512.txt   the same with SHA-512.\n"
                "signer.pem             the signer's certificate, for openssl.\n"
                "bagit.txt, bag-info.txt  the BagIt declaration and description of this"
                " bag.\n"
            ),
            w.t("cover.pdf              printable cover sheet with the fingerprints as QR codes.\n")
            if v["cover"]
            else "",
            w.t("VERIFY.txt             this text.\n"),
        )
    )


def _with_custody(w: Words, v: Mapping[str, Any]) -> str:
    """Section A: our verifier, every check at once."""
    return "".join(
        (
            heading(w.t("A. WITH THE CUSTODY TOOL (all checks at once)"), "-"),
            _custody_command(w, v["name"]),
            "\n",
            w.t(
                "It checks the zip itself, the bag, every digest, both signatures, the"
                " signer certificate, and\nevery custody event's signature and hash chain,"
                " and lists each check. --anchor is the sending\nauthority's trust-root"
                " fingerprint (from the seizure protocol or the request letter, not from\n"
                "this file): with it, every person who signed a custody event is"
                " established as enrolled by that\nroot. Exit status 0: everything holds."
                " 4: everything holds, but no fingerprint or trusted\ncertificate was"
                " given, so who signed is not established. 1: something failed; every"
                " failure is\nlisted.\n"
            ),
        )
    )


def _plain_tools(w: Words, v: Mapping[str, Any], self_signed: bool) -> str:
    """Section B: unzip, openssl and sha256sum only, steps 0 to 4 with their commands."""
    expected_cms = _indent(
        w.t('Expected: "CMS Verification successful" twice, then "one signer".'), "  "
    )
    return "".join(
        (
            heading(
                w.t(
                    "B. WITH UNZIP, OPENSSL AND SHA256SUM ONLY (Linux, macOS; bash or any"
                    " POSIX shell)"
                ),
                "-",
            ),
            w.t(
                "Every step must give exactly what is expected; anything else means: do not"
                " rely on this bundle.\n"
            ),
            "\n",
            w.t("Step 0. Unzip into a new, empty folder, and go into the bundle's folder.\n"),
            f"    $ {v['unzip_command']}\n",
            _indent(w.t("Expected: no message at all."), "  "),
            "\n",
            w.t("Step 1. Both signatures, and that one certificate made both.\n"),
            "".join(f"    $ {c}\n" for c in (TMP_COMMAND, *CMS_COMMANDS)),
            expected_cms,
            _ca_note(w, self_signed),
            w.t(
                "  Proves: manifest.json and tagmanifest-sha256.txt have not changed by one"
                " byte since they\n  were signed with one key, whose certificate openssl"
                " wrote to $T/m.pem.\n"
            ),
            "\n",
            w.t("Step 2. Who signed.\n"),
            f"    $ {WHO_COMMAND}\n",
            w.t(
                '  Expected: the "sha256 Fingerprint" equals, letter for letter, the'
                " fingerprint the sending\n  authority gave you through another channel:"
                " an official letter, a call to a number you\n  already know, the central"
                " authority under the treaty. Never compare it with a fingerprint\n  that"
                " came with the bundle (this file, the cover sheet, the message): whoever"
                " could change\n  the bundle could change those too. This is the"
                " certificate that really verified the\n  signatures, whatever else"
                " signer.pem holds.\n"
            ),
            "\n",
            w.t("Step 3. Every file against the signed lists.\n"),
            f"    $ {LIST_COMMAND}\n",
            _indent(
                w.t('Expected: every line ends in "OK", and the last line is "all files OK".'),
                "  ",
            ),
            w.t(
                "  Proves: every file outside data/ (this text included) is the one"
                " listed in the signed\n  tagmanifest-sha256.txt, which lists"
                " manifest-sha256.txt, and every evidence file is the one\n  listed"
                " there.\n"
            ),
            "\n",
            w.t(
                "Step 4. Nothing else in the folder ({evidence} and {others}).\n",
                evidence=w.n("{n} evidence file", "{n} evidence files", v["count"]),
                others=w.n("{n} other", "{n} others", v["tag_count"]),
            ),
            f"    $ {COUNT_COMMAND}\n",
            _indent(w.t("Expected: {count}", count=v["all_count"]), "  "),
            "\n",
            w.t(
                "With steps 1 to 4 holding, every evidence file is exactly the file the"
                " signer described in\nmanifest.json, and the signer is who you were"
                " told.\n"
            ),
        )
    )


def _windows(w: Words, v: Mapping[str, Any]) -> str:
    """Section C: the same steps in PowerShell."""
    return "".join(
        (
            heading(
                w.t("C. ON WINDOWS (PowerShell, with OpenSSL for Windows for steps 1 and 2)"),
                "-",
            ),
            w.t(
                'Unzip with Explorer ("Extract all") into a new folder; in PowerShell, go'
                " into {name}.\n",
                name=v["name"],
            ),
            "".join(f"    PS> {c}\n" for c in (PS_TMP, *PS_CMS)),
            _indent(w.t('Expected: "CMS Verification successful" twice, then "one signer".'), "  "),
            f"    PS> {PS_WHO}\n",
            w.t("  Expected: the fingerprint you were given out of band, as in step 2 above.\n"),
            f"    PS> {PS_LIST}\n",
            w.t('  Expected: every line begins with "OK" (Get-FileHash computes each SHA-256).\n'),
            f"    PS> {PS_COUNT}\n",
            _indent(w.t("Expected: {count}", count=v["all_count"]), "  "),
            w.t(
                'Without OpenSSL, `certutil -dump signer.pem` shows the certificate ("Cert'
                ' Hash(sha256)"), but\nit cannot check the signatures: use a machine with'
                " OpenSSL for steps 1 and 2.\n"
            ),
        )
    )


def _not_shown(w: Words) -> str:
    return heading(w.t("WHAT THESE STEPS DO NOT SHOW"), "-") + w.t(
        "- Steps 1 to 4 do not check the custody events inside manifest.json. Each"
        ' item\'s "custody"\n  list is a hash chain of events, each signed by its'
        ' actor: an event\'s "hash" is the SHA-256 of\n  the RFC 8785 canonical'
        ' JSON of its "event" object, its "signature" is a base64 DER ECDSA\n'
        "  P-256 SHA-256 signature over the same bytes by the certificate in"
        ' "certificates" named by\n  "signer", and each event\'s "prev" is the'
        " previous event's hash (the first event's \"prev\" is\n  the item's"
        " SHA-256). `custody verify` checks all of this.\n- Steps 1 to 4 do not"
        " establish who signed the custody events: `custody verify --anchor`\n"
        "  checks each signer against the trust root whose fingerprint you were"
        " given.\n- No check shows that what the files contain, or what the signer"
        " states, is true; only that\n  nothing changed since the people named"
        " signed it.\n"
    )


def _half(
    w: Words, other: Words, v: Mapping[str, Any], manifest: Mapping[str, Any], self_signed: bool
) -> str:
    """One language's half of VERIFY.txt: every step in full, with its commands."""
    return "\n\n".join(
        (
            _title(w, other) + _summary(w, v, manifest),
            _with_custody(w, v),
            _plain_tools(w, v, self_signed),
            _windows(w, v),
            _not_shown(w),
        )
    )


def verify_text(
    name: str,
    manifest: Mapping[str, Any],
    manifest_sha256: str,
    fingerprint: str,
    *,
    cover: bool,
    self_signed: bool = True,
    lang: str = "en",
) -> str:
    """The VERIFY.txt of one bundle, filled in from its manifest: English and Russian, the
    language of lang first. An excerpt's two payload files count as evidence files."""
    request = manifest["request"]
    issuer = manifest["issuer"]
    items = manifest["items"]
    count = len(items) + 2 * len(manifest.get("excerpts", []))
    values = {
        "name": name,
        "case_number": _line(manifest["case"]["number"]),
        "case_title": _line(manifest["case"]["title"]),
        "reference": _line(request["reference"]),
        "date": request["date"],
        "legal_basis": _line(request["legal_basis"]),
        "requesting_authority": _line(request["requesting_authority"]),
        "addressee": _line(request["addressee"]),
        "requested_state": request["requested_state"],
        "issuer_name": _line(issuer["name"]),
        "issuer_org": _line(issuer["organisation"]),
        "issuer_country": issuer["country"],
        "count": count,
        "tag_count": file_count(manifest, cover=cover) - count,
        "all_count": file_count(manifest, cover=cover),
        "unzip_command": plain_steps(name)[0][0],
        "total": sum(int(i["size"]) for i in items),
        "fingerprint": fingerprint,
        "manifest_sha256": manifest_sha256,
        "cover": cover,
    }
    english = _half(EN, RU, values, manifest, self_signed)
    russian = _half(RU, EN, values, manifest, self_signed)
    return russian_first(english, russian) if lang == "ru" else english + "\n\n" + russian


def russian_first(english: str, russian: str) -> str:
    """The two parts of VERIFY.txt with the Russian one first."""
    return russian.rstrip("\n") + "\n\n\n" + english.rstrip("\n") + "\n"


def _log_section(words: Words, count: int) -> str:
    return (
        words.t("LOG: EVERY EVENT WAS IN THE SENDER'S APPEND-ONLY LOG")
        + "\n"
        + _indent(
            words.t(
                "log/checkpoint.note is the sender's log head (C2SP tlog-checkpoint) with its"
                " signature and\nany witness's cosignature; log/proofs/ holds one C2SP"
                " tlog-proof per custody event, this\nbundle's export events included"
                " (manifest.json names the checkpoint and counts the proofs).\nThe openssl"
                " and sha256sum steps above prove these {files} are the ones the"
                " sender\nsigned, but NOT that the proofs hold nor that a witness cosigned:"
                " check them with",
                files=files(words, count),
            ),
            "  ",
        )
        + f'      custody verify BUNDLE --witness-key "{words.t("WITNESS VERIFIER KEY")}"\n'
        + _indent(
            words.t(
                "or any C2SP tlog-proof verifier (leaf = SHA-256(0x00 || SHA-256(event bytes)))."
            ),
            "  ",
        )
    )


def log_steps(count: int) -> str:
    """The VERIFY.txt section on the log/ files (none when the bundle has none)."""
    if not count:
        return ""
    return "\n" + _log_section(EN, count) + "\n" + _log_section(RU, count)

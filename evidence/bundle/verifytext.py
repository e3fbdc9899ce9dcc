"""VERIFY.txt: how a recipient checks a bundle with our tool, or with openssl and sha256sum only.

Each step says what it proves and what it does not, because a recipient who skips the
out-of-band fingerprint comparison has verified only that *someone* signed the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def colon_fingerprint(fingerprint: str) -> str:
    """A hex fingerprint the way `openssl x509 -fingerprint` prints it: AB:CD:..."""
    return ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)).upper()


def _line(value: Any) -> str:
    return " ".join(str(value).split())


# Each command is one line, so that it can be pasted whole into any shell.
CMS_COMMAND = (
    "openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json"
    " -CAfile signer.pem -purpose any -out /dev/null"
)
# For each listed file: its SHA-256 must be the one the signed manifest gives the item whose id
# names the file's folder (data/<item id>/...). In canonical JSON an item's "digests" object is
# followed by "evidence_type" and then "item_id", which ties the digest to that item; a digest
# found anywhere else in manifest.json (a custody event's details) is not enough.
LIST_COMMAND = (
    r'while read h p; do i=$(echo "$p" | cut -d/ -f2);'
    r' grep -qE "\"sha256\":\"$h\",\"sha512\":\"[0-9a-f]{128}\"},'
    r'\"evidence_type\":\"[^\"]*\",\"item_id\":\"$i\"" manifest.json'
    r' && echo "$p signed" || echo "$p NOT IN THE SIGNED MANIFEST"; done < manifest-sha256.txt'
)

# A certificate issued by an agency CA is no trust anchor on its own for openssl.
CA_NOTE = """\
  The signer's certificate was issued by a certification authority: add -partial_chain to the
  command, or replace signer.pem after -CAfile with that authority's certificate.
"""

_TEMPLATE = """\
HOW TO VERIFY THIS EVIDENCE BUNDLE
==================================

Bundle:        {name}
Case:          {case_number} - {case_title}
Request:       MLA request {reference} of {date}
Legal basis:   {legal_basis}
From:          {requesting_authority}
To:            {addressee} ({requested_state})
Signed by:     {issuer_name}, {issuer_org} ({issuer_country})
Evidence:      {count} file(s), {total} bytes

Signer certificate SHA-256 fingerprint (compare it out of band, see step 4):
    {fingerprint}
    {colon}
SHA-256 of manifest.json:
    {manifest_sha256}


WHAT IS IN THIS FOLDER
----------------------
data/                  the evidence files, one folder per item: data/<item id>/<file name>.
                       File names were made safe for every system; manifest.json keeps the
                       original names.
manifest.json          the signed statement: case, request, and for every item its SHA-256 and
                       SHA-512 digests, metadata, content summary and complete chain of custody
                       (every event signed by the person who performed it).
manifest.json.p7s      the signature over manifest.json (CMS, RFC 5652), signer certificate inside.
signer.pem             the signer's certificate, for openssl.
manifest-sha256.txt    SHA-256 of every evidence file (BagIt, RFC 8493); sha256sum reads it.
manifest-sha512.txt    the same with SHA-512.
tagmanifest-*.txt      digests of the other files in this folder.
bagit.txt, bag-info.txt  the BagIt declaration and description of this bag.
{cover_line}VERIFY.txt             this text.


A. WITH THE CUSTODY TOOL (all checks at once)
---------------------------------------------
    custody verify {name}.zip --fingerprint FINGERPRINT-YOU-WERE-GIVEN

It checks the bag, every digest, the signature, the signer certificate, and every custody
event's signature and hash chain, and lists each check. Exit status 0: everything holds.
4: everything holds, but no trusted certificate or fingerprint was given, so who signed is not
established. 1: something failed; every failure is listed. Any BagIt tool (for example
`bagit.py --validate {name}`) can also check the bag's completeness and digests.


B. WITH OPENSSL AND SHA256SUM ONLY
----------------------------------
Unzip the bundle, go into the folder {name}/ and run:

Step 1. The signature over manifest.json.
    {cms_command}
  Expected: "CMS Verification successful" (on Windows write NUL instead of /dev/null).
{ca_note}  Proves: manifest.json has not changed by one byte since it was signed with the key of the
  certificate in signer.pem.
  Does not prove: who holds that key. signer.pem travels inside the bundle, so anyone could
  make a key and certificate in any name. Step 4 settles who signed.

Step 2. The evidence files against their list.
    sha256sum -c manifest-sha256.txt
  Expected: every line ends in "OK".
  Proves: every file in data/ is exactly the file listed in manifest-sha256.txt.
  Does not prove: that this list is the signed one (the list itself is not signed): step 3.

Step 3. The list against the signed manifest.
    {list_command}
  Expected: every line ends in "signed", and manifest-sha256.txt has {count} line(s), one per
  item in the signed manifest.
  Proves: with steps 1 and 2, every evidence file is the file the signer described in
  manifest.json for the item named by its folder (data/<item id>/), by its SHA-256.

Step 4. Who signed.
    openssl x509 -in signer.pem -noout -subject -dates -fingerprint -sha256
  Compare the fingerprint with the one the sending authority gives you through another channel:
  an official letter, a call to a number you already know, the central authority under the
  treaty. Do NOT compare it with the fingerprint printed in this file, on the cover sheet or in
  the message that brought the bundle: whoever could change the bundle could change those too.
  Proves: when they match, manifest.json was signed with that authority's key.


WHAT THESE STEPS DO NOT SHOW
----------------------------
- Steps 1 to 4 do not check the custody events inside manifest.json. Each item's "custody"
  list is a hash chain of events, each signed by its actor: an event's "hash" is the SHA-256 of
  the RFC 8785 canonical JSON of its "event" object, its "signature" is a base64 DER ECDSA
  P-256 SHA-256 signature over the same bytes by the certificate in "certificates" named by
  "signer", and each event's "prev" is the previous event's hash (the first event's "prev" is
  the item's SHA-256). `custody verify` checks all of this.
- No check shows that what the files contain, or what the signer states, is true; only that
  nothing changed since the people named signed it.
"""


def verify_text(
    name: str,
    manifest: Mapping[str, Any],
    manifest_sha256: str,
    fingerprint: str,
    *,
    cover: bool,
    self_signed: bool = True,
) -> str:
    """The VERIFY.txt of one bundle, filled in from its manifest."""
    request = manifest["request"]
    issuer = manifest["issuer"]
    items = manifest["items"]
    cover_line = "cover.pdf              printable cover sheet with the fingerprints as QR codes.\n"
    return _TEMPLATE.format(
        name=name,
        case_number=_line(manifest["case"]["number"]),
        case_title=_line(manifest["case"]["title"]),
        reference=_line(request["reference"]),
        date=request["date"],
        legal_basis=_line(request["legal_basis"]),
        requesting_authority=_line(request["requesting_authority"]),
        addressee=_line(request["addressee"]),
        requested_state=request["requested_state"],
        issuer_name=_line(issuer["name"]),
        issuer_org=_line(issuer["organisation"]),
        issuer_country=issuer["country"],
        count=len(items),
        total=sum(int(i["size"]) for i in items),
        fingerprint=fingerprint,
        colon=colon_fingerprint(fingerprint),
        manifest_sha256=manifest_sha256,
        cover_line=cover_line if cover else "",
        cms_command=CMS_COMMAND,
        ca_note="" if self_signed else CA_NOTE,
        list_command=LIST_COMMAND,
    )

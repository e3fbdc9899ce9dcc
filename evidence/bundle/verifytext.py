"""VERIFY.txt: how a recipient checks a bundle with our tool, or with openssl and sha256sum only,
in English and Russian, with the same steps for Windows (PowerShell and OpenSSL for Windows).

Each step says what it proves and what it does not, because a recipient who skips the
out-of-band fingerprint comparison has verified only that *someone* signed the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..display import printable
from .custodians import carried_anchor


def colon_fingerprint(fingerprint: str) -> str:
    """A hex fingerprint the way `openssl x509 -fingerprint` prints it: AB:CD:..."""
    return ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)).upper()


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

# A certificate issued by an agency CA is no trust anchor on its own for openssl.
CA_NOTE = """\
  The signer's certificate was issued by a certification authority: add -partial_chain to the
  two openssl cms commands, or replace signer.pem after -CAfile with that authority's
  certificate.
"""
CA_NOTE_RU = """\
  Сертификат подписанта выдан удостоверяющим центром: добавьте -partial_chain к обеим командам
  openssl cms или укажите после -CAfile сертификат этого центра вместо signer.pem.
"""

_TEMPLATE = """\
HOW TO VERIFY THIS EVIDENCE BUNDLE  (русский текст - раздел "КАК ПРОВЕРИТЬ")
==================================

Bundle:        {name}
Case:          {case_number} - {case_title}
Request:       MLA request {reference} of {date}
Legal basis:   {legal_basis}
From:          {requesting_authority}
To:            {addressee} ({requested_state})
Signed by:     {issuer_name}, {issuer_org} ({issuer_country})
Evidence:      {count} file(s), {total} bytes

Signer certificate SHA-256 fingerprint. This copy travels with the bundle, so it proves
nothing: compare with the one you received by letter (step 2).
    {fingerprint}
    {colon}
{anchor_block}SHA-256 of manifest.json:
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
tagmanifest-sha256.txt SHA-256 of every other file outside data/ (this text, the cover sheet,
tagmanifest-sha256.txt.p7s  the lists below...), and its signature by the same certificate.
manifest-sha256.txt    SHA-256 of every evidence file (BagIt, RFC 8493); sha256sum reads it.
manifest-sha512.txt, tagmanifest-sha512.txt   the same with SHA-512.
signer.pem             the signer's certificate, for openssl.
bagit.txt, bag-info.txt  the BagIt declaration and description of this bag.
{cover_line}VERIFY.txt             this text.


A. WITH THE CUSTODY TOOL (all checks at once)
---------------------------------------------
    custody verify {name}.zip --fingerprint FINGERPRINT-FROM-LETTER --anchor ANCHOR-FROM-LETTER

It checks the zip itself, the bag, every digest, both signatures, the signer certificate, and
every custody event's signature and hash chain, and lists each check. --anchor is the sending
authority's trust-root fingerprint (from the seizure protocol or the request letter, not from
this file): with it, every person who signed a custody event is established as enrolled by that
root. Exit status 0: everything holds. 4: everything holds, but no fingerprint or trusted
certificate was given, so who signed is not established. 1: something failed; every failure is
listed.


B. WITH UNZIP, OPENSSL AND SHA256SUM ONLY (Linux, macOS; bash or any POSIX shell)
-------------------------------------------------------------------------------
Every step must give exactly what is expected; anything else means: do not rely on this bundle.

Step 0. Unzip into a new, empty folder, and go into the bundle's folder.
    $ {unzip_command}
  Expected: no message at all.

Step 1. Both signatures, and that one certificate made both.
    $ {tmp_command}
    $ {cms_command_1}
    $ {cms_command_2}
    $ {cms_command_3}
  Expected: "CMS Verification successful" twice, then "one signer".
{ca_note}  Proves: manifest.json and tagmanifest-sha256.txt have not changed by one byte since they
  were signed with one key, whose certificate openssl wrote to $T/m.pem.

Step 2. Who signed.
    $ {who_command}
  Expected: the "sha256 Fingerprint" equals, letter for letter, the fingerprint the sending
  authority gave you through another channel: an official letter, a call to a number you
  already know, the central authority under the treaty. Never compare it with a fingerprint
  that came with the bundle (this file, the cover sheet, the message): whoever could change
  the bundle could change those too. This is the certificate that really verified the
  signatures, whatever else signer.pem holds.

Step 3. Every file against the signed lists.
    $ {list_command}
  Expected: every line ends in "OK", and the last line is "all files OK".
  Proves: every file outside data/ (this text included) is the one listed in the signed
  tagmanifest-sha256.txt, which lists manifest-sha256.txt, and every evidence file is the one
  listed there.

Step 4. Nothing else in the folder ({count} evidence files and {tag_count} others).
    $ {count_command}
  Expected: {all_count}

With steps 1 to 4 holding, every evidence file is exactly the file the signer described in
manifest.json, and the signer is who you were told.


C. ON WINDOWS (PowerShell, with OpenSSL for Windows for steps 1 and 2)
---------------------------------------------------------------------
Unzip with Explorer ("Extract all") into a new folder; in PowerShell, go into {name}.
    PS> {ps_tmp}
    PS> {ps_cms_1}
    PS> {ps_cms_2}
    PS> {ps_cms_3}
  Expected: "CMS Verification successful" twice, then "one signer".
    PS> {ps_who}
  Expected: the fingerprint you were given out of band, as in step 2 above.
    PS> {ps_list}
  Expected: every line begins with "OK" (Get-FileHash computes each SHA-256).
    PS> {ps_count}
  Expected: {all_count}
Without OpenSSL, `certutil -dump signer.pem` shows the certificate ("Cert Hash(sha256)"), but
it cannot check the signatures: use a machine with OpenSSL for steps 1 and 2.


WHAT THESE STEPS DO NOT SHOW
----------------------------
- Steps 1 to 4 do not check the custody events inside manifest.json. Each item's "custody"
  list is a hash chain of events, each signed by its actor: an event's "hash" is the SHA-256 of
  the RFC 8785 canonical JSON of its "event" object, its "signature" is a base64 DER ECDSA
  P-256 SHA-256 signature over the same bytes by the certificate in "certificates" named by
  "signer", and each event's "prev" is the previous event's hash (the first event's "prev" is
  the item's SHA-256). `custody verify` checks all of this.
- Steps 1 to 4 do not establish who signed the custody events: `custody verify --anchor`
  checks each signer against the trust root whose fingerprint you were given.
- No check shows that what the files contain, or what the signer states, is true; only that
  nothing changed since the people named signed it.


КАК ПРОВЕРИТЬ ЭТОТ ПАКЕТ ДОКАЗАТЕЛЬСТВ  (English text: section "HOW TO VERIFY")
=====================================

Пакет {name}: {count} файл(ов), {total} байт; дело {case_number}; запрос {reference} от {date}.
Подписал: {issuer_name}, {issuer_org} ({issuer_country}).
Отпечаток SHA-256 сертификата подписанта (эта копия пришла вместе с пакетом и ничего не
доказывает: сравнивайте с отпечатком, полученным письмом, шаг 2):
    {fingerprint}
    {colon}
{anchor_block_ru}
А. Программой custody (все проверки сразу):
    custody verify {name}.zip --fingerprint ОТПЕЧАТОК-ИЗ-ПИСЬМА --anchor ОТПЕЧАТОК-КОРНЯ-ИЗ-ПИСЬМА
  --anchor - отпечаток корня доверия отправителя (из протокола изъятия или сопроводительного
  письма, не из этого файла): с ним каждый, кто подписал событие хранения, подтверждается
  как допущенный этим корнем.
  Код 0: всё сходится. 4: всё сходится, но отпечаток не указан, и кто подписал, не
  установлено. 1: что-то не так; перечислены все ошибки.

Б. Только unzip, openssl и sha256sum (Linux, macOS). Каждый шаг должен дать ровно
ожидаемое; любое другое значит: на пакет полагаться нельзя. Команды - те же, что в разделе B
английского текста:
  Шаг 0. Распаковать в новую пустую папку и перейти в папку пакета (команда шага 0).
         Ожидается: никаких сообщений.
  Шаг 1. Обе подписи и то, что их сделал один сертификат (четыре команды шага 1).
         Ожидается: дважды "CMS Verification successful", затем "one signer".
{ca_note_ru}  Шаг 2. Кто подписал (команда шага 2). Ожидается: "sha256 Fingerprint" совпадает
         буква в букву с отпечатком, который отправитель сообщил другим путём (официальное письмо,
         звонок по известному вам номеру, центральный орган по договору). Никогда не
         сравнивайте с отпечатком, пришедшим с пакетом: кто мог изменить пакет, мог изменить
         и его. Показан сертификат, который действительно проверил подписи.
  Шаг 3. Все файлы по подписанным спискам (команда шага 3). Ожидается: каждая строка
         заканчивается на "OK", последняя строка - "all files OK".
  Шаг 4. В папке нет ничего лишнего (команда шага 4). Ожидается: {all_count}
  Если шаги 1-4 выполнены, каждый файл доказательств в точности тот, который подписант описал
  в manifest.json, и подписант - тот, кого вам назвали.

В. Windows: те же шаги командами PowerShell из раздела C английского текста (OpenSSL для
   Windows нужен для шагов 1 и 2; Get-FileHash считает SHA-256 каждого файла).

Чего проверка не показывает: шаги 1-4 не проверяют события цепочки хранения внутри
manifest.json (их проверяет custody verify); никакая проверка не доказывает, что содержимое
файлов или утверждения подписанта истинны, - только что ничего не изменилось после подписи.
"""


ANCHOR_BLOCK = """\
Trust root (anchor) SHA-256 fingerprint of the sending authority: every custody event's signer
must be enrolled by it. Compare it with the one in the seizure protocol or the request letter,
never with this copy.
    {anchor}
    {anchor_colon}
"""
ANCHOR_BLOCK_RU = """\
Отпечаток SHA-256 корня доверия отправителя: каждый подписант событий хранения должен быть
допущен этим корнем. Сравнивайте с отпечатком в протоколе изъятия или в сопроводительном
письме, а не с этой копией.
    {anchor}
    {anchor_colon}
"""


def _anchor(block: str, manifest: Mapping[str, Any]) -> str:
    anchor = carried_anchor(manifest.get("trust"))
    if anchor is None:
        return ""
    return block.format(anchor=anchor, anchor_colon=colon_fingerprint(anchor))


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
    files = len(items) + 2 * len(manifest.get("excerpts", []))
    cover_line = "cover.pdf              printable cover sheet with the fingerprints as QR codes.\n"
    text = _TEMPLATE.format(
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
        count=files,
        tag_count=file_count(manifest, cover=cover) - files,
        all_count=file_count(manifest, cover=cover),
        unzip_command=plain_steps(name)[0][0],
        anchor_block=_anchor(ANCHOR_BLOCK, manifest),
        anchor_block_ru=_anchor(ANCHOR_BLOCK_RU, manifest),
        total=sum(int(i["size"]) for i in items),
        fingerprint=fingerprint,
        colon=colon_fingerprint(fingerprint),
        manifest_sha256=manifest_sha256,
        cover_line=cover_line if cover else "",
        tmp_command=TMP_COMMAND,
        cms_command_1=CMS_COMMANDS[0],
        cms_command_2=CMS_COMMANDS[1],
        cms_command_3=CMS_COMMANDS[2],
        who_command=WHO_COMMAND,
        list_command=LIST_COMMAND,
        count_command=COUNT_COMMAND,
        ps_tmp=PS_TMP,
        ps_cms_1=PS_CMS[0],
        ps_cms_2=PS_CMS[1],
        ps_cms_3=PS_CMS[2],
        ps_who=PS_WHO,
        ps_list=PS_LIST,
        ps_count=PS_COUNT,
        ca_note="" if self_signed else CA_NOTE,
        ca_note_ru="" if self_signed else CA_NOTE_RU,
    )
    english, russian = text.split(_RUSSIAN_START)
    return russian_first(english, _RUSSIAN_START + russian) if lang == "ru" else text


_RUSSIAN_START = "КАК ПРОВЕРИТЬ ЭТОТ ПАКЕТ ДОКАЗАТЕЛЬСТВ"


def russian_first(english: str, russian: str) -> str:
    """The two parts of VERIFY.txt with the Russian one first."""
    return russian.rstrip("\n") + "\n\n\n" + english.rstrip("\n") + "\n"


LOG_STEPS = """
LOG: EVERY EVENT WAS IN THE SENDER'S APPEND-ONLY LOG
  log/checkpoint.note is the sender's log head (C2SP tlog-checkpoint) with its signature and
  any witness's cosignature; log/proofs/ holds one C2SP tlog-proof per custody event, this
  bundle's export events included (manifest.json names the checkpoint and counts the proofs).
  The openssl and sha256sum steps above prove these {count} files are the ones the sender
  signed, but NOT that the proofs hold nor that a witness cosigned: check them with
      custody verify BUNDLE --witness-key "WITNESS VERIFIER KEY"
  or any C2SP tlog-proof verifier (leaf = SHA-256(0x00 || SHA-256(event bytes))).

ЖУРНАЛ: КАЖДОЕ СОБЫТИЕ БЫЛО В НЕИЗМЕНЯЕМОМ ЖУРНАЛЕ ОТПРАВИТЕЛЯ
  log/checkpoint.note — вершина журнала отправителя (C2SP tlog-checkpoint) с его подписью и
  подписями свидетелей; в log/proofs/ — доказательство включения C2SP tlog-proof для каждого
  события, включая события экспорта этого пакета (manifest.json называет контрольную точку и
  число доказательств). Шаги с openssl и sha256sum доказывают, что эти {count} файлов
  подписаны отправителем, но НЕ то, что доказательства верны и что свидетель их заверил:
  проверьте их командой
      custody verify BUNDLE --witness-key "КЛЮЧ СВИДЕТЕЛЯ"
  или любой программой проверки C2SP tlog-proof (лист = SHA-256(0x00 || SHA-256(байты события))).
"""


def log_steps(count: int) -> str:
    """The VERIFY.txt section on the log/ files (none when the bundle has none)."""
    return LOG_STEPS.format(count=count) if count else ""

#!/usr/bin/env bash
# The whole story on the embedded sample evidence: keys, a case, ingest, custody transfers,
# a checkpoint and an audit, a bundle for an MLA request, its verification as the foreign side
# would do it (our verifier, then openssl and sha256sum alone), and the PDF reports.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${DEMO_DIR:-$here/../demo-out}"
rm -rf "$out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export CUSTODY_HOME="$out/workspace"
export CUSTODY_PASSPHRASE="demo passphrase, never use in a real case"
CASE=BY-2026-0042

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. A workspace and the actors' keys"
run custody init
run custody key new --name "A. Ivanov" --org "Investigative Committee of the Republic of Belarus" --country BY --role investigator
run custody key new --name "Evidence Room" --org "Investigative Committee of the Republic of Belarus" --country BY --role custodian
run custody key new --name "П. Сидоров" --org "State Forensic Examination Committee" --country BY --role expert
run custody key new --name "Prosecutor" --org "Prosecutor General's Office of the Republic of Belarus" --country BY --role prosecutor
run custody key list

step "2. The case"
run custody case new "$CASE" --title "VK account takeover, card theft, QIWI cash-out" --jurisdiction BY \
    --legal-basis "Art. 212 Criminal Code of the Republic of Belarus"

step "3. Ingest the seized material (hash, vault copy, exiftool, profile, signed first event)"
run custody ingest "$here/sample-evidence" --case "$CASE" --as "A. Ivanov" \
    --source "Samsung Galaxy A51 seized 2026-11-02 from suspect, IMEI 356938035643809" \
    --acquired-at 2026-11-02T14:30:00+03:00 --method "logical extraction, protocol No. 17"
run custody ingest "$here/sample-evidence" --case "$CASE" --as "A. Ivanov" --source "same phone, second run" --quiet
run custody item list --case "$CASE"
item() { custody item list --case "$CASE" --json | python3 -c "import json,sys; print(next(i['item_id'] for i in json.load(sys.stdin) if i['original_name'].startswith(sys.argv[1])))" "$1"; }
CHAT="$(item 'WhatsApp Chat')"
SHOT="$(item 'Screenshot_')"
QIWI="$(item 'qiwi_')"
IOS="$(item '_chat.txt')"
YOO="$(item 'yoomoney_')"
run custody item show "$CHAT"
# a loose iOS export (begins with "[") is a chat; a rejected payment is listed, not totalled
custody item show "$IOS" --json | python3 -c "import json,sys; p=json.load(sys.stdin)['profile']; print({k: p[k] for k in ('kind', 'layout', 'message_count', 'date_order', 'date_order_reason', 'first_message_at')})"
custody item show "$YOO" --json | python3 -c "import json,sys; p=json.load(sys.stdin)['profile']; print({k: p[k] for k in ('layout', 'totals_by_currency', 'failed_rows')})"

step "4. The identifiers the MLA request is about"
run custody identifiers --case "$CASE"

step "5. Custody: transfer to the evidence room (pending until received), analysis, receipt"
run custody transfer "$CHAT" "$SHOT" "$QIWI" --as "A. Ivanov" --to "Evidence Room" \
    --location "Minsk, IC, room 214" --purpose "storage pending forensic examination"
run custody log "$CHAT"
run custody receive "$CHAT" "$SHOT" "$QIWI" --as "Evidence Room" --location "Minsk, IC evidence room"
run custody event "$SHOT" --action analysed --as "П. Сидоров" --location "Минск, ГКСЭ" \
    --purpose "EXIF examination: is the screenshot edited?"
run custody log --case "$CASE"

step "5b. Profiles are analyses: re-run today's parsers, and an expert corrects a type"
run custody profile --case "$CASE" --as "П. Сидоров"
run custody item retype "$SHOT" photo --as "П. Сидоров" \
    --reason "camera original (Apple iPhone 7 make and model in EXIF), renamed; not a screenshot"
run custody item show "$SHOT" | grep -E "evidence type|profiled by"

step "6. Checkpoint and audit"
run custody checkpoint --as "Evidence Room"
run custody audit --fixity

step "7. The prosecutor's bundle for the MLA request"
run custody bundle "$CASE" --as "Prosecutor" -o "$out/request-0042.zip" \
    --request-ref "No. 12/4-2026" --legal-basis "Minsk Convention 1993" \
    --requesting-authority "Prosecutor General's Office of the Republic of Belarus" \
    --requested-state RU --addressee "Prosecutor General's Office of the Russian Federation"
FPR="$(custody key show Prosecutor --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')"

step "8. The foreign side: no workspace, only the zip and a fingerprint received by letter"
mkdir -p "$out/foreign"
cp "$out/request-0042.zip" "$out/foreign/"
(
  cd "$out/foreign"
  unset CUSTODY_HOME CUSTODY_PASSPHRASE
  run custody verify request-0042.zip --fingerprint "$FPR" --report verification-report.pdf
  step "8b. ...and with nothing but unzip, openssl and sha256sum (VERIFY.txt)"
  run unzip -q request-0042.zip
  cd request-0042
  run openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json \
      -CAfile signer.pem -purpose any -out /dev/null
  run sha256sum --quiet -c manifest-sha256.txt
  echo "payload digests: OK"
  run openssl x509 -in signer.pem -noout -fingerprint -sha256
)

step "9. The auditor's custody report"
run custody report "$CASE" -o "$out/custody-report.pdf" --fixity --as "A. Ivanov"

step "Done"
cat <<DONE
workspace:            $CUSTODY_HOME
bundle for the MLA:   $out/request-0042.zip
verification report:  $out/foreign/verification-report.pdf
custody report:       $out/custody-report.pdf
DONE

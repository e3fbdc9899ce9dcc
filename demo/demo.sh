#!/usr/bin/env bash
# The whole story on the embedded sample evidence: keys, a case, ingest, custody transfers,
# a checkpoint cosigned by another agency's witness and an audit, a bundle for an MLA request
# with inclusion proofs, its verification as the foreign side would do it (our verifier, then
# openssl and sha256sum alone), and the PDF reports.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${DEMO_DIR:-$here/../demo-out}"
# shellcheck source=demo/lib.sh
. "$here/lib.sh"
fresh_out demo "$out"
out="$(cd "$out" && pwd)"

export CUSTODY_HOME="$out/workspace"
export CUSTODY_PASSPHRASE="demo passphrase, never use in a real case"
CASE=BY-2026-0042

step "1. A workspace, its trust root, and the actors' keys (each enrolled by the authority)"
run custody init --authority "IC Head of Investigations" \
    --org "Investigative Committee of the Republic of Belarus" --country BY
ANCHOR="$(custody key show "IC Head of Investigations" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')"
run custody key new --name "A. Ivanov" --org "Investigative Committee of the Republic of Belarus" --country BY --role investigator
run custody key new --name "Evidence Room" --org "Investigative Committee of the Republic of Belarus" --country BY --role custodian
run custody key new --name "П. Сидоров" --org "State Forensic Examination Committee" --country BY --role expert
run custody key new --name "Prosecutor" --org "Prosecutor General's Office of the Republic of Belarus" --country BY --role prosecutor
run custody key new --name "Trainee" --org "Investigative Committee of the Republic of Belarus" --country BY --role investigator --no-enrol
run custody key enrol "Trainee" --reason "order No. 311 of 2026-11-01"
run custody key revoke "Trainee" --reason "left the unit"
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
run custody item amend "$CHAT" --method "logical extraction, UFED 7.6, protocol No. 17" \
    --reason "tool version missing; see seizure protocol No. 17" --as "A. Ivanov"
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

step "6. Another agency's witness (C2SP tlog-witness on loopback) is given the ledger's checkpoint keys"
note_key() { custody key show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["note_key"])'; }
start_witness "$out/witness" "$(note_key "Evidence Room")" "$(note_key Prosecutor)"
mkdir -p "$out/tsa"
python3 -m evidence.cli.localtsa "$out/tsa" > "$out/tsa/url" &
TSA_PID=$!
trap 'kill "$TSA_PID" "$WITNESS_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$out/tsa/url" ] && break; sleep 0.1; done
export CUSTODY_TSA_URL="$(cat "$out/tsa/url")" CUSTODY_WITNESS_URL="$WITNESS"

step "6b. Checkpoint with trusted time (RFC 3161, a throwaway TSA on loopback), cosigned by the witness; audit"
run custody checkpoint --as "Evidence Room"
run cat "$CUSTODY_HOME/checkpoints/checkpoint-000001.note"
run custody timestamp --tsa-trust "$out/tsa/tsa-ca.pem"
run custody witness show --dir "$out/witness"
run custody audit --fixity --anchor "$ANCHOR" --witness "$CUSTODY_WITNESS_URL" --witness-key "$WITNESS_KEY"

step "7. The prosecutor's bundle for the MLA request"
run custody bundle "$CASE" --as "Prosecutor" -o "$out/request-0042.zip" \
    --request-ref "No. 12/4-2026" --legal-basis "Minsk Convention 1993" \
    --requesting-authority "Prosecutor General's Office of the Republic of Belarus" \
    --requested-state RU --addressee "Prosecutor General's Office of the Russian Federation"
FPR="$(custody key show Prosecutor --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')"
step "7b. The same request for a Russian-speaking recipient: cover sheet in Russian, VERIFY.txt Russian first"
run custody bundle "$CASE" --as "Prosecutor" -o "$out/request-0042-ru.zip" --lang ru \
    --request-ref "No. 12/4-2026" --legal-basis "Minsk Convention 1993" \
    --requesting-authority "Prosecutor General's Office of the Republic of Belarus" \
    --requested-state RU --addressee "Prosecutor General's Office of the Russian Federation"
unzip -p "$out/request-0042.zip" request-0042/cover.pdf > "$out/cover.pdf"
unzip -p "$out/request-0042-ru.zip" request-0042-ru/cover.pdf > "$out/cover-ru.pdf"

step "7c. Only what a request needs: an excerpt of the chat, proved against the commitment signed at ingest"
run custody excerpt "$CHAT" --match "QIWI|vk.com" --context 1 --dry-run
RANGES="$(custody excerpt "$CHAT" --match "QIWI|vk.com" --context 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')"
run custody excerpt "$CHAT" --records "$RANGES" --as "A. Ivanov" \
    --reason "the messages asking for the card and naming the QIWI wallet"
run custody bundle "$CASE" --as "Prosecutor" -o "$out/request-0043.zip" \
    --excerpt "$CHAT:$RANGES" --items "$QIWI" --case-jsonld \
    --request-ref "No. 12/5-2026" --legal-basis "Minsk Convention 1993" \
    --requesting-authority "Prosecutor General's Office of the Republic of Belarus" \
    --requested-state RU --addressee "Prosecutor General's Office of the Russian Federation"

step "8. The foreign side: no workspace, only the zip and a fingerprint received by letter"
mkdir -p "$out/foreign"
cp "$out/request-0042.zip" "$out/request-0043.zip" "$out/tsa/tsa-ca.pem" "$out/foreign/"
# the standalone excerpt checker exactly as docs/bundle.md prints it
sed -n '/<!-- check_excerpt.py: begin -->/,/<!-- check_excerpt.py: end -->/p' "$here/../docs/bundle.md" \
    | sed '1,2d;$d' | sed '$d' > "$out/foreign/check_excerpt.py"
(
  cd "$out/foreign"
  unset CUSTODY_HOME CUSTODY_PASSPHRASE CUSTODY_TSA_URL CUSTODY_WITNESS_URL
  # The letter also names the trust root: every custodian in the chains is established by it.
  # And the witness's key: every event proved inside a checkpoint that agency cosigned.
  run custody verify request-0042.zip --fingerprint "$FPR" --anchor "$ANCHOR" \
      --tsa-trust tsa-ca.pem --witness-key "$WITNESS_KEY" --report verification-report.pdf \
      --verifier "J. Kowalski"
  # The log folder: the checkpoint, its cosigned note, and one inclusion proof per event (the
  # first item's shown; no pipe into head, whose early exit would fail the demo under pipefail).
  run unzip -l request-0042.zip 'request-0042/log/checkpoint.*' 'request-0042/log/proofs/1eeb09*'
  run custody verify request-0042.zip --fingerprint "$FPR" --anchor "$ANCHOR" \
      --tsa-trust tsa-ca.pem --report verification-report-ru.pdf --lang ru --tz Europe/Moscow \
      --verifier "Прокурор А. Смирнов" --quiet
  step "8b. ...unzipped and zipped again (as a mail gateway or a colleague might): still verified"
  run unzip -q request-0042.zip -d rezipped
  (cd rezipped && run zip -qr ../request-0042-rezipped.zip request-0042)
  run custody verify request-0042-rezipped.zip --fingerprint "$FPR" --quiet
  step "8c. ...and with nothing but unzip, openssl and sha256sum: the commands of VERIFY.txt"
  run unzip -q request-0042.zip -d request-0042-check
  cd request-0042-check/request-0042
  T=$(mktemp -d)
  run openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json \
      -CAfile signer.pem -purpose any -signer "$T/m.pem" -out /dev/null
  run openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \
      -content tagmanifest-sha256.txt -CAfile signer.pem -purpose any -signer "$T/t.pem" -out /dev/null
  cmp "$T/m.pem" "$T/t.pem" && echo "one signer"
  run openssl x509 -in "$T/m.pem" -noout -subject -nameopt utf8 -dates -fingerprint -sha256
  run sha256sum --quiet -c --strict tagmanifest-sha256.txt
  run sha256sum --quiet -c --strict manifest-sha256.txt
  echo "all files OK"
  rm -rf "$T"
  cp ../../tsa-ca.pem .
  echo "trusted time of the signature, VERIFY.txt's openssl ts steps:"
  sed -n '/TRUSTED TIME OF THE SIGNATURE/,/ДОВЕРЕННОЕ ВРЕМЯ ПОДПИСИ/p' VERIFY.txt | grep '^    ' | bash
  cd ../..
  step "8d. The excerpt: only the disclosed messages travelled; each is byte-exact and in place"
  run custody verify request-0043.zip --fingerprint "$FPR" --anchor "$ANCHOR"
  run unzip -q request-0043.zip -d request-0043-check
  excerpt="request-0043-check/request-0043/data/$CHAT/$CHAT"
  cat "$excerpt.records.txt"
  run python3 -S check_excerpt.py "$excerpt.records.txt" "$excerpt.proof.json"
  run openssl x509 -in excerpt-signer.pem -pubkey -noout -out excerpt-signer.pub
  run openssl dgst -sha256 -verify excerpt-signer.pub -signature excerpt-event.sig excerpt-event.json
)

step "9. The auditor's custody report, and the signed Russian one for the request (PAdES B-T)"
run custody report "$CASE" -o "$out/custody-report.pdf" --fixity --as "A. Ivanov"
run custody report "$CASE" -o "$out/custody-report-ru.pdf" --lang ru --tz Europe/Minsk \
    --as "Evidence Room"
run pdfsig "$out/custody-report-ru.pdf"

step "10. The case as CASE/UCO JSON-LD for forensic tools abroad, checked by the CASE validator"
run custody export-case "$CASE" -o "$out/$CASE.case.jsonld"
run case_validate "$out/$CASE.case.jsonld"

step "11. Every page of the six documents read back as a reader would (pdftotext): the same check as the tests"
# Names, places, purposes and notes are printed as recorded, so the recorded data's words may be
# Latin in a Russian document: the manifest, every custody event and the key holders are given.
unzip -p "$out/request-0042.zip" request-0042/manifest.json > "$out/manifest.json"
custody log --case "$CASE" --json > "$out/events.json"
custody key list --json > "$out/keys.json"
data=(--data "$out/manifest.json" --data "$out/events.json" --data "$out/keys.json")
(
  cd "$here/.."
  run python3 -m tests.report.readback --lang en "${data[@]}" \
      "$out/cover.pdf" "$out/foreign/verification-report.pdf" "$out/custody-report.pdf"
  run python3 -m tests.report.readback --lang ru "${data[@]}" \
      "$out/cover-ru.pdf" "$out/foreign/verification-report-ru.pdf" "$out/custody-report-ru.pdf"
)

step "Done"
cat <<DONE
workspace:            $CUSTODY_HOME
bundle for the MLA:   $out/request-0042.zip (log/: checkpoint, note, inclusion proofs)
witness:              $out/witness (stopped at exit)
cover sheets:         $out/cover.pdf  $out/cover-ru.pdf
verification reports: $out/foreign/verification-report.pdf  $out/foreign/verification-report-ru.pdf
excerpt bundle:       $out/request-0043.zip
CASE/UCO graph:       $out/$CASE.case.jsonld
custody report:       $out/custody-report.pdf
signed, in Russian:   $out/custody-report-ru.pdf
DONE

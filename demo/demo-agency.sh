#!/usr/bin/env bash
# The agency story: one PostgreSQL ledger and one shared vault, two workstations.
# Desk 1 (investigations: the investigator and the prosecutor) and desk 2 (the evidence room and
# the forensic lab) each keep their own keys; a throwaway PostgreSQL cluster (tests/pgcluster.py,
# Unix socket only) is started here and stopped at the end.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${DEMO_DIR:-$repo/demo-agency-out}"
# shellcheck source=demo/lib.sh
. "$here/lib.sh"
fresh_out demo-agency "$out"
out="$(cd "$out" && pwd)"
chmod 755 "$out"  # the cluster's unprivileged user must reach its folder inside

export CUSTODY_PASSPHRASE="demo passphrase, never use in a real case"
CASE=BY-2026-0042

step "0. A local PostgreSQL server (the agency's database server)"
eval "$(cd "$repo" && python -m tests.pgcluster start "$out/pg")"
trap 'cd "$repo" && python -m tests.pgcluster stop "$out/pg"' EXIT

# Each desk: its own key folder; the same ledger (as the tool's SELECT+INSERT role) and vault.
export CUSTODY_LEDGER="$CUSTODY_PG_TOOL" CUSTODY_VAULT="$out/evidence-vault"
desk1() { printf '[desk 1] '; CUSTODY_HOME="$out/desk-1" run custody "$@"; }
desk2() { printf '[desk 2] '; CUSTODY_HOME="$out/desk-2" run custody "$@"; }

step "1. The administrator creates the ledger (tables, append-only triggers, grants), the vault and the trust root"
CUSTODY_HOME="$out/admin" run custody init --authority "IC Head of Investigations" \
    --org "Investigative Committee of the Republic of Belarus" --country BY \
    --ledger "$CUSTODY_PG_ADMIN" --grant "$CUSTODY_PG_TOOL_ROLE"
ANCHOR="$(CUSTODY_HOME="$out/admin" custody key show "IC Head of Investigations" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')"
# The authority's key stays on the administrator's desk; it vouches for every other key.
enrol() { printf '[admin] '; CUSTODY_HOME="$out/admin" run custody key enrol "$1" --as "IC Head of Investigations" --reason "order No. 5-к"; }

step "2. Each desk makes its own keys; the authority enrols them (the database login is not an identity)"
desk1 key new --name "A. Ivanov" --org "Investigative Committee of the Republic of Belarus" --country BY --role investigator
desk1 key new --name "Prosecutor" --org "Prosecutor General's Office of the Republic of Belarus" --country BY --role prosecutor
desk2 key new --name "Evidence Room" --org "Investigative Committee of the Republic of Belarus" --country BY --role custodian
desk2 key new --name "П. Сидоров" --org "State Forensic Examination Committee" --country BY --role expert
for name in "A. Ivanov" "Prosecutor" "Evidence Room" "П. Сидоров"; do enrol "$name"; done
desk2 key list

step "3. Desk 1 opens the case and ingests the seized material into the shared vault"
desk1 case new "$CASE" --title "VK account takeover, card theft, QIWI cash-out" --jurisdiction BY \
    --legal-basis "Art. 212 Criminal Code of the Republic of Belarus"
desk1 ingest "$here/sample-evidence" --case "$CASE" --as "A. Ivanov" \
    --source "Samsung Galaxy A51 seized 2026-11-02 from suspect, IMEI 356938035643809" \
    --acquired-at 2026-11-02T14:30:00+03:00 --method "logical extraction, protocol No. 17"
item() { CUSTODY_HOME="$out/desk-2" custody item list --case "$CASE" --json | python3 -c "import json,sys; print(next(i['item_id'] for i in json.load(sys.stdin) if i['original_name'].startswith(sys.argv[1])))" "$1"; }
CHAT="$(item 'WhatsApp Chat')"
SHOT="$(item 'Screenshot_')"

step "4. Custody crosses desks: desk 1 transfers, desk 2 receives and analyses"
desk1 transfer "$CHAT" "$SHOT" --as "A. Ivanov" --to "Evidence Room" \
    --location "Minsk, IC, room 214" --purpose "storage pending forensic examination"
desk2 receive "$CHAT" "$SHOT" --as "Evidence Room" --location "Minsk, IC evidence room"
desk2 event "$SHOT" --action analysed --as "П. Сидоров" --location "Минск, ГКСЭ" \
    --purpose "EXIF examination: is the screenshot edited?"
desk1 log "$SHOT"

step "5. The prosecutor's office runs a witness; a checkpoint it cosigns (files beside the shared vault), then the day goes on"
note_key() { CUSTODY_HOME="$out/$1" custody key show "$2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["note_key"])'; }
start_witness "$out/witness" "$(note_key desk-2 "Evidence Room")" "$(note_key desk-1 Prosecutor)"
trap 'kill "$WITNESS_PID" 2>/dev/null || true; cd "$repo" && python -m tests.pgcluster stop "$out/pg"' EXIT
desk2 checkpoint --as "Evidence Room" --witness "$WITNESS"
desk2 event "$CHAT" --action sealed --seal 0042114 --as "Evidence Room" --note "bag No. 114"
desk1 audit --fixity --anchor "$ANCHOR"
desk1 audit --since-checkpoint --anchor "$ANCHOR" --witness "$WITNESS" --witness-key "$WITNESS_KEY"

step "6. Desk 1's prosecutor bundles the case for the MLA request"
desk1 bundle "$CASE" --as "Prosecutor" -o "$out/request-0042.zip" --witness "$WITNESS" \
    --request-ref "No. 12/4-2026" --legal-basis "Minsk Convention 1993" \
    --requesting-authority "Prosecutor General's Office of the Republic of Belarus" \
    --requested-state RU --addressee "Prosecutor General's Office of the Russian Federation"
FPR="$(CUSTODY_HOME="$out/desk-1" custody key show Prosecutor --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')"
(
  cd "$out"
  unset CUSTODY_LEDGER CUSTODY_VAULT CUSTODY_PASSPHRASE
  run custody verify request-0042.zip --fingerprint "$FPR" --anchor "$ANCHOR" --witness-key "$WITNESS_KEY"
)

step "7. The ledger refuses edits even from the administrator; a copy for the auditor"
printf '$ psql ... -c "UPDATE events SET note = ..."\n'
if psql "$CUSTODY_PG_ADMIN" -q -c "UPDATE events SET seq = seq" 2>&1; then
  echo "UPDATE was accepted: the ledger is NOT append-only" >&2
  exit 1
fi
run custody ledger copy "$CUSTODY_PG_TOOL" "$out/auditor-copy/ledger.db"
CUSTODY_HOME="$out/desk-2" run custody --ledger "$out/auditor-copy/ledger.db" audit --anchor "$ANCHOR"

step "Done"
cat <<DONE
ledger:      PostgreSQL cluster in $out/pg (stopped at exit); auditor's copy $out/auditor-copy/ledger.db
vault:       $CUSTODY_VAULT
desks:       $out/desk-1 (keys only), $out/desk-2 (keys only)
bundle:      $out/request-0042.zip
DONE

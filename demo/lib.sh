# Shared by demo.sh and demo-agency.sh (sourced): how steps are printed, and the output folder.

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# fresh_out NAME DIR: DIR emptied for this demo. Only a folder a demo made itself (it leaves
# .custody-demo in it) is ever deleted; anything else makes the demo stop (exit 2).
fresh_out() {
  local name="$1" dir="$2"
  if [ -n "$(ls -A "$dir" 2>/dev/null)" ] && [ ! -e "$dir/.custody-demo" ]; then
    echo "$name: $dir is not empty and was not made by the demo; not deleting it (set DEMO_DIR to a new folder)" >&2
    exit 2
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  touch "$dir/.custody-demo"
}

# start_witness DIR VKEY...: another agency's witness in DIR trusting those ledger keys, served on
# a free loopback port in the background. Sets WITNESS_KEY (its verifier key), WITNESS (its URL)
# and WITNESS_PID (the caller's exit trap stops it).
start_witness() {
  local dir="$1"; shift
  local logs=()
  for key in "$@"; do logs+=(--log "$key"); done
  # The other agency's passphrase for its witness key (encrypted on disk; serve asks once).
  export CUSTODY_WITNESS_PASSPHRASE="witness passphrase, never use in a real case"
  printf '$ custody witness init --name witness.prokuratura.example --dir %s --log ...\n' "$dir"
  WITNESS_KEY="$(custody witness init --name witness.prokuratura.example --dir "$dir" "${logs[@]}")"
  echo "$WITNESS_KEY"
  custody witness serve --dir "$dir" --listen 127.0.0.1:0 > "$dir/url" &
  WITNESS_PID=$!
  for _ in $(seq 300); do [ -s "$dir/url" ] && break; sleep 0.1; done
  WITNESS="$(cat "$dir/url")"
}

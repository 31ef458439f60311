#!/usr/bin/env bash
# The project template, as a user gets it:
#   1. cli-template/ where it stands: rustfmt, clippy -D warnings, tests;
#   2. `ferrocrud new demo --framework-path <this checkout>` into a temporary
#      directory: rustfmt, clippy -D warnings, tests;
#   3. there, `ferrocrud generate service profile`, `ferrocrud generate cmd
#      profile publish` and `ferrocrud generate migration add_profile_summary`:
#      again rustfmt, clippy, tests; then each generator once more must change
#      nothing, `cargo run -- migrate up` then `status` must list every
#      migration applied, and `ferrocrud export openapi` must show the new
#      service and command.
# The template and the rendered project share one target directory
# (FERROCRUD_TEMPLATE_TARGET_DIR, default ~/ferrocrud-target-template), kept
# between runs, so their dependencies are built once.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
TEMPLATE_TARGET="${FERROCRUD_TEMPLATE_TARGET_DIR:-$HOME/ferrocrud-target-template}"

step() { printf '\n==> %s\n' "$*"; }

step "build the ferrocrud binary"
cargo build -q -p ferrocrud-cli --bin ferrocrud
FERROCRUD="$CARGO_TARGET_DIR/debug/ferrocrud"

export CARGO_TARGET_DIR="$TEMPLATE_TARGET"
check() {
  cargo fmt -- --check
  cargo clippy -q --all-targets -- -D warnings
  cargo test -q
}

step "cli-template where it stands"
(cd "$ROOT/cli-template" && check)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

step "ferrocrud new demo --framework-path $ROOT"
(cd "$WORK" && "$FERROCRUD" new demo --framework-path "$ROOT")
cd "$WORK/demo"
check

step "ferrocrud generate service profile; ferrocrud generate cmd profile publish; ferrocrud generate migration add_profile_summary"
"$FERROCRUD" generate service profile
"$FERROCRUD" generate cmd profile publish
"$FERROCRUD" generate migration add_profile_summary
check

step "generators again: nothing to do"
before=$(find src tests -type f -exec sha256sum {} + | sort)
"$FERROCRUD" generate service profile | grep -q "nothing to do"
"$FERROCRUD" generate cmd profile publish | grep -q "nothing to do"
"$FERROCRUD" generate migration add_profile_summary | grep -q "nothing to do"
after=$(find src tests -type f -exec sha256sum {} + | sort)
[ "$before" = "$after" ] || { echo "a generator run twice changed the project" >&2; exit 1; }

step "cargo run -- migrate up; cargo run -- migrate status"
export DATABASE_URL="sqlite://$WORK/demo/data/migrate.sqlite" JWT_SECRET="template check secret"
cargo run -q -- migrate up
status=$(cargo run -q -- migrate status)
echo "$status"
grep -q '^applied  m[0-9_]*_create_profile$' <<<"$status"
grep -q '^applied  m[0-9_]*_add_profile_summary$' <<<"$status"
! grep -qv '^applied ' <<<"$status" || { echo "a migration is not applied" >&2; exit 1; }
unset DATABASE_URL JWT_SECRET

step "ferrocrud export openapi"
"$FERROCRUD" export openapi --output openapi.json
grep -q '"/crud/s/profile/cmd/publish"' openapi.json
grep -q '"/crud/s/profile/many"' openapi.json
echo "template checks passed"

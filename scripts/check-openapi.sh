#!/usr/bin/env bash
# Exports the blog's OpenAPI document and checks it with openapi-spec-validator.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"
if ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  python3 -m pip install -q --disable-pip-version-check openapi-spec-validator
fi
doc=$(mktemp)
trap 'rm -f "$doc"' EXIT
cargo run -q -p blog -- export openapi >"$doc"
python3 - "$doc" <<'PY'
import json, sys
from openapi_spec_validator import validate
with open(sys.argv[1]) as f:
    document = json.load(f)
validate(document)
print(f"OpenAPI document valid: {len(document['paths'])} paths, {len(document['components']['schemas'])} schemas")
PY

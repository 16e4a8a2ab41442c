#!/usr/bin/env bash
# Rewrites the generated parts of the docs from the code's own declarations, with a built
# sinklab (default build/release/sinklab): the field table of docs/metrics.md (`sinklab metrics`)
# and the key table of configs/README.md (`sinklab config keys`). Tests fail until they match.
set -euo pipefail
cd "$(dirname "$0")/.."
sinklab="${1:-build/release/sinklab}"

# replace FILE MARKER COMMAND...: the lines between "<!-- MARKER: begin" and "<!-- MARKER: end -->".
replace() {
  local file=$1 marker=$2
  shift 2
  local generated
  generated="$("$@")"
  GENERATED="$generated" python3 - "$file" "$marker" <<'PY'
import os, re, sys
path, marker = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
pattern = re.compile(r"(<!-- %s: begin[^\n]*\n).*?(<!-- %s: end -->)" % (marker, marker), re.S)
if not pattern.search(text):
    sys.exit(f"{path}: no '<!-- {marker}: begin' ... '<!-- {marker}: end -->' markers")
new = pattern.sub(lambda m: m.group(1) + os.environ["GENERATED"] + "\n" + m.group(2), text)
open(path, "w", encoding="utf-8").write(new)
PY
  echo "generated-docs: $file"
}

replace docs/metrics.md fields "$sinklab" metrics
replace configs/README.md keys "$sinklab" config keys

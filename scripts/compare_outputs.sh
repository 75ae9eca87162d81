#!/usr/bin/env bash
# Capture every user-visible output of concurlint (CLI reports in both languages,
# rule list and explanations, generated docs pages) into OUT_DIR; with BASE_DIR, also
# compare byte for byte against an earlier capture and exit 1 on any difference.
#
#   scripts/compare_outputs.sh OUT_DIR              # capture only
#   scripts/compare_outputs.sh OUT_DIR BASE_DIR     # capture, then diff -r BASE_DIR OUT_DIR
#
# Run from the repository root with the concurlint under test first on PATH.
# Used to show that moving translations into the gettext catalog (issue 20) changes
# no output: capture on the tree before the codemod, capture after, compare.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 OUT_DIR [BASE_DIR]" >&2
    exit 2
fi
out=$1
base=${2:-}
rm -rf "$out"
mkdir -p "$out/check" "$out/rule" "$out/docs"
targets=(tests/fixtures examples)
for lang in en zh; do
    for format in concise full json sarif github; do
        # findings make the exit code 1; the output is what we compare
        concurlint check --preset strict --no-cache --output-format "$format" --lang "$lang" \
            "${targets[@]}" >"$out/check/$format.$lang.txt" 2>"$out/check/$format.$lang.stderr" || true
    done
    concurlint rules --lang "$lang" >"$out/rules.$lang.txt"
    concurlint rules --lang "$lang" --output-format json >"$out/rules.$lang.json"
    codes=$(concurlint rules --output-format json | python -c 'import json,sys; print(" ".join(r["code"] for r in json.load(sys.stdin)))')
    for code in $codes; do
        concurlint rule "$code" --lang "$lang" >"$out/rule/$code.$lang.txt"
    done
done
python -m concurlint.docgen "$out/docs" >/dev/null
if [ -n "$base" ]; then
    if diff -r "$base" "$out"; then
        echo "identical: $base and $out"
    else
        echo "DIFFERENT: $base and $out" >&2
        exit 1
    fi
fi

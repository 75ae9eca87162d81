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
out=$(cd "$out" && pwd)  # absolute: some commands run from a copy
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

# The command line's own texts (issue 20, interface part): help, the other report
# formats, statistics, the cache, the HTML report, fixes, baselines, noqa, settings,
# tool findings (CCY002-CCY004) and usage errors, in both languages.
mkdir -p "$out/cli"
for command in "" check rules rule report server; do
    concurlint $command --help >"$out/cli/help.${command:-main}.txt"
done
cache=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$cache" "$work"' EXIT
run() {  # run NAME CMD...: stdout, stderr and exit code of one command into $out/cli
    local name=$1
    shift
    local code=0
    "$@" >"$out/cli/$name.out" 2>"$out/cli/$name.err" || code=$?
    echo "$code" >"$out/cli/$name.exit"
}
for lang in en zh; do
    for format in gitlab junit; do
        run "$format.$lang" concurlint check --preset strict --cache-dir "$cache" --output-format "$format" \
            --lang "$lang" "${targets[@]}"
    done
    run "statistics.$lang" concurlint check --preset strict --cache-dir "$cache" --cache-stats --statistics \
        --quiet --lang "$lang" "${targets[@]}"
    run "learn.$lang" concurlint check --preset learn --no-cache --lang "$lang" examples
    run "settings.$lang" concurlint check --show-settings --lang "$lang" examples/crawler.py
    run "settings-two.$lang" concurlint check --show-settings --lang "$lang" examples tests
    run "nofiles.$lang" concurlint check --lang "$lang" --exclude '*' examples
    run "toolfindings.$lang" concurlint check --no-cache --max-file-size 1500 --lang "$lang" \
        tests/fixtures/exceptions examples
    run "unknown-rule.$lang" concurlint rule CCY999 --lang "$lang"
    run "no-rule.$lang" concurlint rule --lang "$lang"
    # fixes, baselines and noqa comments work on a copy, from inside it (relative paths)
    rm -rf "$work/copy"
    mkdir "$work/copy"
    cp -r examples tests/fixtures/threads "$work/copy/"
    printf 'x = (\n' >"$work/copy/broken.py"
    printf '# -*- coding: nosuch -*-\nx = 1\n' >"$work/copy/encoding.py"
    (
        cd "$work/copy"
        run "report.$lang" concurlint report --lang "$lang" --html report.html examples
        cp report.html "$out/cli/report.$lang.html"
        run "broken.$lang" concurlint check --no-cache --lang "$lang" broken.py encoding.py
        run "diff.$lang" concurlint check --no-cache --diff --unsafe-fixes --lang "$lang" .
        run "diff-none.$lang" concurlint check --no-cache --diff --lang "$lang" examples/good_service.py
        run "write-baseline.$lang" concurlint check --no-cache --write-baseline base.json --lang "$lang" .
        run "fix.$lang" concurlint check --no-cache --fix --show-fixes --lang "$lang" .
        run "baseline.$lang" concurlint check --no-cache --baseline base.json --lang "$lang" .
        run "fix-only.$lang" concurlint check --no-cache --fix-only --unsafe-fixes --lang "$lang" .
        run "add-noqa.$lang" concurlint check --no-cache --add-noqa --lang "$lang" .
        run "after-noqa.$lang" concurlint check --no-cache --lang "$lang" .
    )
done
if [ -n "$base" ]; then
    if diff -r "$base" "$out"; then
        echo "identical: $base and $out"
    else
        echo "DIFFERENT: $base and $out" >&2
        exit 1
    fi
fi

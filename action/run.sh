#!/usr/bin/env bash
# Step 2 of the action: turns the inputs (passed through env, never interpolated into the
# script) into `slipway build` arguments. slipway itself writes the step outputs, the job
# summary and the annotations.
set -euo pipefail
set -f # input words are never globbed

args=(build --ci github)
for image in $INPUT_IMAGES; do args+=("$image"); done
[ -z "$INPUT_REPO" ] || args+=(--repo "$INPUT_REPO")
while IFS= read -r rule; do
  rule=${rule#"${rule%%[![:space:]]*}"}
  rule=${rule%"${rule##*[![:space:]]}"}
  [ -z "$rule" ] || args+=(--tag-rule "$rule")
done <<< "$INPUT_TAGS"
report=${INPUT_REPORT_PATH:-${RUNNER_TEMP:-/tmp}/slipway-report.${INPUT_REPORT_FORMAT/envfile/env}}
args+=(--report-path "$report" --report-format "${INPUT_REPORT_FORMAT:-json}")
for arg in $INPUT_EXTRA_ARGS; do args+=("$arg"); done
exec "$SLIPWAY_BIN" "${args[@]}"

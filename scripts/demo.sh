#!/usr/bin/env bash
# The weekly loop on the bundled sample: init -> build -> (departments fill in: the
# sample returns) -> merge. Usage: scripts/demo.sh [DIR]   (default: demo)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-demo}
XLFLOW=${XLFLOW:-.venv/bin/xlflow}
WEEK=2024-W28
AS_OF=2024-07-12

rm -rf "$DIR"
"$XLFLOW" init "$DIR" --example
echo
"$XLFLOW" build "$DIR" --week "$WEEK"
echo
echo "# 各部门填写工作簿后交回(样例):"
cp samples/user-growth/returns/*.xlsx "$DIR/inbox/"
ls -1 "$DIR/inbox"
echo
"$XLFLOW" merge "$DIR" --week "$WEEK" --as-of "$AS_OF"
echo
echo "部门工作簿:$DIR/outbox/$WEEK/"
echo "汇总报表:$DIR/reports/$WEEK-consolidated.xlsx"

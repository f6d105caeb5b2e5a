#!/usr/bin/env bash
# The bundled sample: init -> opinion -> approve -> file (PMO备案) -> build ->
# (departments fill in: the sample returns) -> merge -> 周例会 (meeting, the sample's
# filled minutes) -> next week's build and merge with the 督办事项. Usage: scripts/demo.sh [DIR]
# (default: demo)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-demo}
XLFLOW=${XLFLOW:-.venv/bin/xlflow}
WEEK=2024-W28
AS_OF=2024-07-12

rm -rf "$DIR"
"$XLFLOW" init "$DIR" --example
echo
# 需求共识 → 方案审批 → PMO备案: build, send and merge wait for the filed plan
# (recorded at the sample's own dates, the week before the project starts: --at)
"$XLFLOW" opinion "$DIR" --department 运营部 --by 运营总监 --text "同意,需提前准备活动物料" \
    --at 2024-06-26T10:00
"$XLFLOW" approve "$DIR" --by "分管副总 陈明" --note "同意,按期推进" --at 2024-06-27T15:00
"$XLFLOW" file "$DIR" --by "PMO 王芳" --at 2024-06-28T09:30
echo
"$XLFLOW" build "$DIR" --week "$WEEK"
echo
echo "# 各部门填写工作簿后交回(样例):"
cp samples/user-growth/returns/*.xlsx "$DIR/inbox/"
ls -1 "$DIR/inbox"
echo
"$XLFLOW" merge "$DIR" --week "$WEEK" --as-of "$AS_OF"
echo
"$XLFLOW" meeting "$DIR" --week "$WEEK" --no-pdf
echo
echo "# 会后 PMO 填写的会议纪要(样例),以及下周各部门交回(更新督办事项):"
cp samples/user-growth/minutes/*.xlsx "$DIR/inbox/"
"$XLFLOW" build "$DIR" --week 2024-W29
cp samples/user-growth/returns-2024-W29/*.xlsx "$DIR/inbox/"
"$XLFLOW" merge "$DIR" --week 2024-W29 --as-of 2024-07-19
echo
echo "部门工作簿:$DIR/outbox/$WEEK/"
echo "汇总报表:$DIR/reports/$WEEK-consolidated.xlsx"
echo "周例会:$DIR/reports/$WEEK-周例会.xlsx;督办事项:$DIR/reports/2024-W29-consolidated.xlsx"

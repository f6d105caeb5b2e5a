"""Whether a 分管领导意见 on the PMO master's 风险应对 sheet agrees — the one rule for
closing a 高 risk, lowering it to 中 or 低, and closing one that was 已解决.

An opinion *assents* when, read with full-width forms folded and spaces removed, it
contains one of `AGREE_WORDS` (同意, 批准, 准予, 可以 …; 不反对 counts as 同意) and
none of `REFUSE_WORDS` (不同意, 不批准, 暂不, 暂缓, 驳回, 否, 反对 …, and 补充 / 待 for an
opinion that asks for more first). Blank, "已阅", "请补充材料", "不同意关闭", "暂缓关闭"
and "同意,但请补充材料后再关" do not assent; "同意关闭", "批准降级", "可以关闭。陈明" do. A refusal
word wins over an agreement word: when in doubt the risk stays open and 高, and the PMO writes a plain 同意.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

#: Words that say yes (one is needed); 不反对 counts as 同意.
AGREE_WORDS = ("同意", "批准", "准予", "准许", "可以", "可关闭", "可降", "予以关闭",
               "approve", "agree")
#: Words that say no, not yet, or not without more (any one makes the opinion no assent).
REFUSE_WORDS = ("不同意", "不批准", "不准", "不予", "不可", "不能", "不宜", "不认可", "不通过",
                "不允许", "暂不", "暂缓", "驳回", "否", "反对", "再议", "补充", "待", "退回",
                "disagree", "reject", "declin")
#: English refusals as whole words ("not approved", "no").
_REFUSE_EN = re.compile(r"\b(?:not|no|don't|cannot)\b")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def assents(opinion: Any) -> bool:
    """Whether a 分管领导意见 agrees (the rule is in the module's docstring)."""
    if opinion is None:
        return False
    text = _fold(str(opinion)).replace("不反对", "同意")
    squeezed = "".join(text.split())
    if _REFUSE_EN.search(text) or any(word in squeezed for word in REFUSE_WORDS):
        return False
    return any(word in squeezed for word in AGREE_WORDS)


def leader_opinion(response: Mapping[str, Any] | None) -> str:
    """The 分管领导意见 of a recorded response, as typed ('' when none)."""
    return str((response or {}).get("leader_opinion") or "").strip()


def why_not(response: Mapping[str, Any] | None) -> str:
    """For a refusal message: what the response's 分管领导意见 was and where it came from,
    e.g. 「分管领导意见为「暂缓关闭」(PMO总表.xlsx「风险应对」第 2 行),不是同意的意见」."""
    text = leader_opinion(response)
    if not text:
        return "PMO 的风险应对中尚无分管领导意见"
    src = response or {}
    where = ""
    if src.get("file"):
        where = f"({src['file']}「风险应对」" + (f"第 {src['row']} 行" if src.get("row") else "") + ")"
    return (f"分管领导意见为「{text}」{where},不是同意的意见(须写明"
            + "/".join(AGREE_WORDS[:4]) + ",且不含" + "/".join(REFUSE_WORDS[:7]) + "等)")

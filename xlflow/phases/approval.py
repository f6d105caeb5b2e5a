"""Who may approve and give opinions, and what an opinion says.

The approver (`project.approver`, e.g. "分管副总 陈明") and each department's head
(`departments[].head` with `head_title`) are named in project.yaml; `approve --by` and
`opinion --by` must name them. The name, the title, or both ("title name", with or
without the space, either order) are accepted, ignoring full-width forms and spaces.

An opinion *disagrees* when it contains 不同意 anywhere, or when its first phrase (the
text before the first comma, semicolon, full stop or space) contains 反对, 暂缓, 不认可,
不支持, 否决 or 不通过 (不反对 is agreement). A disagreeing opinion blocks consensus
until a later opinion of the same head agrees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..errors import XlflowError
from ..ledger import Event
from ..model.vocab import EventKind
from ..project import PROJECT_FILE, Department, Opinion, Project

#: Words that make an opinion's first phrase a "no".
DISAGREE_WORDS = ("反对", "暂缓", "不认可", "不支持", "否决", "不通过")
_FIRST_PHRASE = re.compile(r"[,，;；。.!！?？:：、\s]")


class NotAuthorisedError(XlflowError):
    """`--by` names someone project.yaml does not name for this step (exit status 2)."""


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _forms(name: str, title: str) -> set[str]:
    """The ways a person may be written: name, title, title+name, name+title,
    name(title)."""
    name, title = _fold(name), _fold(title)
    out = {f for f in (name, title) if f}
    if name and title:
        out |= {title + name, name + title, f"{name}({title})", f"{title}({name})"}
    return out


def split_person(text: str) -> tuple[str, str]:
    """'分管副总 陈明' -> ('陈明', '分管副总'): the last word is the name, the words before
    it the title; one word is a name."""
    words = text.split()
    if len(words) < 2:
        return text.strip(), ""
    return words[-1], " ".join(words[:-1])


def is_person(given: str, name: str, title: str = "") -> bool:
    return bool(given.strip()) and _fold(given) in _forms(name, title)


def check_approver(project: Project, by: str) -> None:
    """Refuse (exit 2) an approval by anyone but `project.approver`."""
    if not project.approver:
        raise NotAuthorisedError(f"{PROJECT_FILE} 没有写明审批人(project.approver,例如 "
                                 "\"分管副总 陈明\");请先填写,再审批")
    name, title = split_person(project.approver)
    if not is_person(by, name, title):
        raise NotAuthorisedError(f"--by {by!r} 不是本项目的审批人:应由 {project.approver} 审批"
                                 f"(project.approver;可写 {name}"
                                 + (f"、{title} 或 {title} {name}" if title else "") + ")")


def check_head(dept: Department, by: str) -> None:
    """Refuse (exit 2) an opinion for `dept` by anyone but its head."""
    if not dept.head and not dept.head_title:
        raise NotAuthorisedError(f"{dept.name}在 {PROJECT_FILE} 中没有负责人(departments.head);"
                                 "请先填写,再记录意见")
    if not is_person(by, dept.head, dept.head_title):
        who = " ".join(x for x in (dept.head_title, dept.head) if x)
        forms = "、".join(x for x in (dept.head, dept.head_title) if x)
        raise NotAuthorisedError(f"--by {by!r} 不是{dept.name}的负责人:应由 {who} 给出意见"
                                 f"(departments.head / head_title;可写 {forms}"
                                 + (f" 或 {who}" if dept.head and dept.head_title else "")
                                 + ")")


def disagrees(text: str) -> bool:
    """Whether an opinion says no (the rule is in the module's docstring)."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if "不同意" in folded:
        return True
    first = _FIRST_PHRASE.split(folded, maxsplit=1)[0].replace("不反对", "")
    return any(word in first for word in DISAGREE_WORDS)


def blocking_opinions(project: Project) -> list[Opinion]:
    """The latest opinion of each department that disagrees (project.opinions holds the
    latest per department once the ledger's are applied, see Workspace.project)."""
    return [o for o in project.opinions if disagrees(o.opinion)]


def approval_events(events: Sequence[Event]) -> list[Event]:
    """The plan's approvals and send-backs, in order (not those of plan changes)."""
    return [e for e in events if e.kind in (EventKind.APPROVE, EventKind.REJECT)
            and not (e.data or {}).get("change")]


def current_approval(events: Sequence[Event]) -> Event | None:
    """The approval that stands: the latest approve with no send-back after it."""
    steps = approval_events(events)
    return steps[-1] if steps and steps[-1].kind == EventKind.APPROVE else None


def last_rejection(events: Sequence[Event]) -> Event | None:
    """The send-back that stands: the latest step when it is a reject."""
    steps = approval_events(events)
    return steps[-1] if steps and steps[-1].kind == EventKind.REJECT else None

"""Users read Chinese: every message an `XlflowError` carries is written in Chinese.

The scan reads xlflow/ with ast and finds each `raise` of an XlflowError subclass (the
classes in xlflow.errors and any class in xlflow/ derived from them), and each call of
a factory annotated to return one (`Parser.fail`, `spec._fail`, `LedgerError.from_sqlite`):
a message with English words but no Chinese character fails, unless it is allowed below.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import xlflow
import xlflow.errors

SOURCE = Path(xlflow.__file__).parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LETTERS = re.compile(r"[A-Za-z]{2,}")

#: (file, the message with each {…} as {}) -> why it may stay without Chinese words.
ALLOWED = {
    ("phases/baseline.py", "--target {}"): "the {} is parse_target's Chinese ValueError",
    ("phases/common.py", "--week: {}"): "the {} is parse_week's Chinese ValueError",
}


def _error_names(trees: dict[Path, ast.Module]) -> set[str]:
    names = {name for name, obj in inspect.getmembers(xlflow.errors, inspect.isclass)
             if issubclass(obj, xlflow.errors.XlflowError)}
    grown = True
    while grown:  # subclasses defined elsewhere in xlflow/ (GateError, NotAuthorisedError)
        grown = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        _name(b) in names for b in node.bases):
                    names.add(node.name)
                    grown = True
    return names


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _factories(trees: dict[Path, ast.Module], errors: set[str]) -> set[str]:
    """Functions that build an error for the caller to raise: `-> ProjectError`."""
    out = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.returns is not None:
                returned = node.returns.value if isinstance(node.returns, ast.Constant) \
                    else _name(node.returns)
                if returned in errors:
                    out.add(node.name)
    return out


def _skeleton(node: ast.expr) -> str:
    """The literal text of a message, each interpolation as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_skeleton(v) if isinstance(v, ast.Constant) else "{}"
                       for v in node.values)
    if isinstance(node, ast.BinOp):
        return _skeleton(node.left) + _skeleton(node.right)
    return "{}"


def _literals(node: ast.expr) -> list[str]:
    """The message's own text: not what a call inside it is given (`_t("key")`, whose
    words come from texts.py)."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.Call):
        return []
    return [t for child in ast.iter_child_nodes(node) for t in _literals(child)]


def _messages(root: Path = SOURCE) -> list[tuple[str, int, str, list[str]]]:
    """(file, line, skeleton, literal parts) of every error message in `root`."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.py"))}
    errors = _error_names(trees)
    factories = _factories(trees, errors)
    out = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            called = _name(node.func)
            if called in errors:
                message = node.args[0]
            elif called in factories:
                message = node.args[-1]
            else:
                continue
            literals = _literals(message)
            if literals:
                out.append((path.relative_to(root).as_posix(), node.lineno,
                            _skeleton(message), literals))
    return out


def _english(messages: list[tuple[str, int, str, list[str]]]) -> list[str]:
    return [f"{file}:{line}: {text!r}" for file, line, text, literals in messages
            if not any(CJK.search(t) for t in literals)
            and any(LETTERS.search(t) for t in literals)
            and (file, text) not in ALLOWED]


def test_every_error_message_is_chinese() -> None:
    messages = _messages()
    assert len(messages) > 150  # the scan sees the messages (project.py alone has ~60)
    assert _english(messages) == []


def test_the_allow_list_has_no_stale_entries() -> None:
    seen = {(file, text) for file, _, text, _ in _messages()}
    assert set(ALLOWED) <= seen


def test_an_english_message_is_caught(tmp_path: Path) -> None:
    (tmp_path / "errors.py").write_text(
        "class XlflowError(Exception): ...\nclass ProjectError(XlflowError): ...\n"
        "class MyError(ProjectError): ...\n", encoding="utf-8")
    (tmp_path / "a.py").write_text(
        "from .errors import MyError, ProjectError\n"
        "def fail(where: str, message: str) -> ProjectError:\n"
        "    return ProjectError(f'{where}: {message}')\n"
        "def f(x):\n"
        "    raise MyError(f'{x} is not a date')\n"
        "def g(x):\n"
        "    raise fail('a.b', 'expected a list')\n"
        "def h(x):\n"
        "    raise ProjectError(f'{x} 不是日期(应为 YYYY-MM-DD)')\n", encoding="utf-8")
    assert _english(_messages(tmp_path)) == [
        "a.py:5: '{} is not a date'", "a.py:7: 'expected a list'"]


def test_messages_can_be_written_to_a_gbk_console() -> None:
    """A Windows console in the Chinese code page (936) prints what GBK encodes."""
    bad = []
    for file, line, _, literals in _messages():
        for text in literals:
            try:
                text.encode("gbk")
            except UnicodeEncodeError as exc:
                bad.append(f"{file}:{line}: {text[exc.start:exc.end]!r}")
    assert bad == []

"""A mistyped command line is answered in the output's language: Chinese by default (on
a GBK console too), English with --lang en or XLFLOW_LANG=en. The message names the
option or argument and what it takes, the hint names `xlflow CMD --help`, and the exit
code is click's for a usage error, 2."""

from __future__ import annotations

import ast
import os
import re
import string
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from xlflow import _clicktexts
from xlflow.cli import cli

LOCALE = ("XLFLOW_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
FILE = "{tmp}/project.yaml"  # exists: a file where a folder is expected
MISSING = "{tmp}/ca.pem"  # does not exist

# (args, the hint's command, what the Chinese says, what the English says)
CASES = [
    (["merge", "d", "--dept", "x"], "xlflow merge",
     ["没有选项 '--dept' (是不是要用其中之一:'--draft', '--help'?)"],
     ["No such option '--dept'. (Did you mean one of: '--draft', '--help'?)"]),
    (["opinion", "d", "--department", "运营部"], "xlflow opinion",
     ["缺少必填选项 '--by'\n"], ["Missing option '--by'."]),
    (["merge"], "xlflow merge", ["缺少参数 'DIRECTORY'\n"], ["Missing argument 'DIRECTORY'."]),
    (["--debug"], "xlflow", ["缺少命令:xlflow 之后要写命令,例如 xlflow status DIR"],
     ["Missing command."]),
    (["mrege", "d"], "xlflow", ["没有命令 'mrege' (是不是要用 'merge'?)"],
     ["No such command 'mrege'. Did you mean 'merge'?"]),
    (["init", "a", "b"], "xlflow init", ["多余的参数:b(含空格的路径或文字请用引号括起来)"],
     ["Got unexpected extra argument (b)"]),
    (["merge", "d", "--as-of"], "xlflow merge", ["选项 '--as-of' 后面缺少值"],
     ["Option '--as-of' requires an argument."]),
    (["accept", "d", "--conclusion", "好"], "xlflow accept",
     ["'--conclusion' 的值无效:「好」不是可选值,应为其中之一:'通过', '有条件通过', '不通过'"],
     ["Invalid value for '--conclusion': '好' is not one of '通过', '有条件通过', '不通过'."]),
    (["accept", "d", "--as-of", "2024-13-01"], "xlflow accept",
     ["'--as-of' 的值无效:「2024-13-01」不是有效的日期或时间,格式应为 'YYYY-MM-DD'"],
     ["Invalid value for '--as-of': '2024-13-01' does not match the format '%Y-%m-%d'."]),
    (["merge", "d", "--as-of", "2024-13-01"], "xlflow merge",  # xlflow's own date check
     ["'--as-of' 的值无效:2024-13-01 不是日期(应为 YYYY-MM-DD)"],
     ["Invalid value for '--as-of': '2024-13-01' is not a date (YYYY-MM-DD)"]),
    (["approve", "d", "--by", "x", "--change", "x"], "xlflow approve",
     ["'--change' 的值无效:「x」不是整数"],
     ["Invalid value for '--change': 'x' is not a valid integer range."]),
    (["approve", "d", "--by", "x", "--change", "0"], "xlflow approve",
     ["'--change' 的值无效:0 超出范围,应满足 x>=1"],
     ["Invalid value for '--change': 0 is not in the range x>=1."]),
    (["notify", "d", "--timeout", "abc"], "xlflow notify",
     ["'--timeout' 的值无效:「abc」不是数字"],
     ["Invalid value for '--timeout': 'abc' is not a valid float."]),
    (["notify", "d", "--cafile", MISSING], "xlflow notify",
     ["'--cafile' 的值无效:文件「{tmp}/ca.pem」不存在"],
     ["Invalid value for '--cafile': File '{tmp}/ca.pem' does not exist."]),
    (["init", FILE], "xlflow init",
     ["'DIRECTORY' 的值无效:「{tmp}/project.yaml」是文件,这里应为文件夹"],
     ["Invalid value for 'DIRECTORY': Directory '{tmp}/project.yaml' is a file."]),
    # xlflow's own checks of a week or a mail server: the run's language too
    (["send", "d", "--smtp", ":25x"], "xlflow send",
     ["'--smtp' 的值无效:「:25x」应为 主机:端口,例如 smtp.example.com:587"],
     ["Invalid value for '--smtp': ':25x' is not HOST:PORT (e.g. smtp.example.com:587)"]),
    (["notify", "d", "--smtp", "mail.example.com"], "xlflow notify",
     ["'--smtp' 的值无效:「mail.example.com」应为 主机:端口"],
     ["Invalid value for '--smtp': 'mail.example.com' is not HOST:PORT"]),
    (["collect", "d", "--user", "pmo", "--imap", "a:b"], "xlflow collect",
     ["'--imap' 的值无效:「a:b」应为 主机 或 主机:端口,例如 imap.example.com:993"],
     ["Invalid value for '--imap': 'a:b' is not HOST or HOST:PORT (e.g. imap.example.com:993)"]),
    (["run", "d", "--imap", "a:b"], "xlflow run",
     ["'--imap' 的值无效:「a:b」应为 主机 或 主机:端口"],
     ["Invalid value for '--imap': 'a:b' is not HOST or HOST:PORT"]),
    (["collect", "d", "--user", "pmo", "--imap", "imap.example.com", "--no-tls"],
     "xlflow collect",  # refused before any password is asked for
     ["--no-tls 只能用于本机的邮件服务器(127.0.0.1、::1、localhost);imap.example.com 请用 --tls"],
     ["--no-tls is only for a mail server on this machine (127.0.0.1, ::1, localhost); "
      "use --tls (the default) or --starttls for imap.example.com"]),
    (["build", "d", "--week", "2024-28"], "xlflow build",
     ["'--week' 的值无效:「2024-28」不是 ISO 周(应为 YYYY-Www,例如 2024-W28)"],
     ["Invalid value for '--week': '2024-28' is not an ISO week (YYYY-Www, e.g. 2024-W28)"]),
    (["merge", "d", "--week", "2023-W53"], "xlflow merge",
     ["'--week' 的值无效:「2023-W53」:2023 年没有第 53 周"],
     ["Invalid value for '--week': '2023-W53': 2023 has no week 53"]),
    (["remind", "d", "--week", "W28"], "xlflow remind",
     ["'--week' 的值无效:「W28」不是 ISO 周"], ["Invalid value for '--week': 'W28' is not an ISO week"]),
    (["history", "d", "--drop", "28"], "xlflow history",  # named as the option it is
     ["'--drop' 的值无效:「28」不是 ISO 周"], ["Invalid value for '--drop': '28' is not an ISO week"]),
]
IDS = [" ".join(args) for args, *_ in CASES]


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in LOCALE}, **extra}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "xlflow", *args], capture_output=True,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("usage")
    (root / "project.yaml").write_text("name: x\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def runs(tmp: Path) -> dict[str, subprocess.CompletedProcess[bytes]]:
    """Every case run as a Chinese Windows console runs it (GBK, no locale); in parallel,
    as each run is mostly the interpreter starting."""
    with ThreadPoolExecutor(4) as pool:
        done = {name: pool.submit(_run, [a.format(tmp=tmp) for a in args],
                                  _env(PYTHONIOENCODING="gbk"))
                for name, (args, *_) in zip(IDS, CASES, strict=True)}
        return {name: future.result() for name, future in done.items()}


@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
def test_a_mistake_is_told_in_chinese_on_a_gbk_console(runs: dict, tmp: Path, case: int) -> None:
    args, command, zh, _ = CASES[case]
    result = runs[IDS[case]]
    assert result.returncode == 2
    text = result.stderr.decode("gbk")  # a character GBK lacks would be '?': no match below
    lines = text.splitlines()
    assert lines[0].startswith(f"用法: {command} ")
    assert lines[1] == f"用法和示例请看 {command} --help"
    for said in zh:
        assert said.format(tmp=tmp) in text + "\n", text
    assert text.splitlines()[-1].startswith("错误:")
    assert not any(word in text for word in ("Error", "Try ", "Usage", "Invalid", "Missing",
                                             "No such", "Did you"))


@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
def test_the_same_mistake_in_english_with_lang_en(runner: CliRunner, tmp: Path,
                                                  case: int) -> None:
    args, command, _, en = CASES[case]
    result = runner.invoke(cli, ["--lang", "en", *(a.format(tmp=tmp) for a in args)],
                           prog_name="xlflow")
    assert result.exit_code == 2
    text = result.output
    lines = text.splitlines()
    assert lines[0].startswith(f"Usage: {command} ")
    assert lines[1] == f"Try '{command} --help' for help."
    for said in en:
        assert said.format(tmp=tmp) in text, text
    assert "错误" not in text and "用法" not in text


@pytest.mark.parametrize("env, first", [
    ({"XLFLOW_LANG": "en"}, "Error: No such option '--dept'."),
    ({"LANG": "zh_CN.UTF-8"}, "错误:没有选项 '--dept'"),
    ({}, "错误:没有选项 '--dept'"),
])
def test_the_language_comes_from_the_environment_too(env: dict[str, str], first: str) -> None:
    result = _run(["status", "d", "--dept"], _env(**env))
    assert result.returncode == 2
    assert result.stderr.decode("utf-8").splitlines()[-1].startswith(first)


@pytest.mark.parametrize("args", [["--lang", "en", "--bogus"], ["--lang=en", "--bogus"]])
def test_lang_before_a_mistake_among_the_groups_options(runner: CliRunner,
                                                        args: list[str]) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "Error: No such option '--bogus'." in result.output


def test_a_bad_lang_is_told_in_the_default_language(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--lang", "xx", "status", "d"])
    assert result.exit_code == 2
    assert "错误:'--lang' 的值无效:「xx」不是可选值,应为其中之一:'zh', 'en'" in result.output


def test_other_click_programs_keep_english(runner: CliRunner) -> None:
    """Only an xlflow run is translated, even after one in the same process."""
    runner.invoke(cli, ["merge", "--dept"])

    @click.command()
    @click.option("--n", type=int)
    def other(n: int) -> None:
        """Not xlflow."""

    result = runner.invoke(other, ["--n", "x"])
    assert result.exit_code == 2
    assert "Error: Invalid value for '--n': 'x' is not a valid integer." in result.output


# -- the catalogue ---------------------------------------------------------------------


def _click_messages() -> tuple[set[str], set[tuple[str, str]]]:
    """Every message id click's installed modules pass to `_` and `ngettext`."""
    single: set[str] = set()
    plural: set[tuple[str, str]] = set()
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)
                     and isinstance(a.value, str)]
            if node.func.id == "_" and texts:
                single.add(texts[0])
            elif node.func.id == "ngettext" and len(texts) == 2:
                plural.add((texts[0], texts[1]))
    return single, plural


def test_every_translation_is_of_a_message_click_makes() -> None:
    """A message click rewords is told here (it would be English again otherwise)."""
    single, plural = _click_messages()
    assert set(_clicktexts.ZH) - single == set()
    assert set(_clicktexts.ZH_PLURAL) - plural == set()


# click's messages left in English: to programmers (a wrong decorator), from features
# xlflow does not use (editor, shell completion, Windows console), help-page words
# (xlflow/_help.py puts those in Chinese) and type names made before a run starts
# (put in Chinese where they are filled in, xlflow/_clicktexts.py _WORDS_ZH).
ENGLISH_ON_PURPOSE = {
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}",
    "Invalid start character for option ({option})", "Name '{name}' defined twice",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument "
    "instead? Did you mean to pass '--{name}'?",
    "Unknown color {colour!r}", "Unknown standard stream '{name}'", "Choice({choices})",
    "Couldn't detect Bash version, shell completion is not supported.",
    "Shell completion is not supported for Bash versions older than 4.4.",
    "Windows error: {error}", "{editor}: Editing failed", "{editor}: Editing failed: {e}",
    "Usage:", "Options", "Commands", "Positional arguments", "deprecated", "(dynamic)",
    "env var: {var}", "default: {default}", "Show this message and exit.",
    "Show the version and exit.", "%(prog)s, version %(version)s",
    "Do you want to continue?", "Confirm the action without prompting.",
    "file", "directory", "path", "d",
}


def test_every_message_a_user_can_meet_is_translated() -> None:
    """A message click adds is told here: translate it or say why it stays English."""
    single, plural = _click_messages()
    assert single - set(_clicktexts.ZH) - ENGLISH_ON_PURPOSE == set()
    assert plural - set(_clicktexts.ZH_PLURAL) == set()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_chinese_is_gbk_and_fills_only_clicks_fields() -> None:
    pairs = [(set(_fields(en)), zh) for en, zh in _clicktexts.ZH.items()]
    for english, chinese in _clicktexts.ZH_PLURAL.items():
        fields = _fields(english[0]) | _fields(english[1])  # click fills both forms' fields
        pairs += [(fields, chinese[0]), (fields, chinese[1])]
    for fields, chinese in pairs:
        chinese.encode("gbk")
        assert _fields(chinese) <= fields, chinese


def test_an_unknown_message_stays_english() -> None:
    token = _clicktexts.LANGUAGE.set("zh")
    try:
        assert _clicktexts.gettext("A message click adds later.") == \
            "A message click adds later."
        assert _clicktexts.ngettext("one {n}", "many {n}", 2) == "many {n}"
        assert _clicktexts.gettext("Missing option") == "缺少必填选项"
    finally:
        _clicktexts.LANGUAGE.reset(token)


@pytest.mark.parametrize("tail", [["--lang", "en"], ["--lang=en"]])
def test_lang_after_the_command_is_taken_as_the_groups(runner: CliRunner, tail: list[str]) -> None:
    """People type --lang after the command: it is read as if written before it."""
    result = runner.invoke(cli, ["status", "d", "--bogus", *tail])
    assert result.exit_code == 2, result.output
    assert "No such option '--bogus'" in result.output, result.output
    assert "--lang" not in result.output and not re.search(r"[\u4e00-\u9fff]", result.output), \
        result.output


def test_a_bad_week_in_english_from_xlflow_lang() -> None:
    """XLFLOW_LANG=en, no --lang: xlflow's own option checks follow it like click's."""
    result = _run(["build", "d", "--week", "2024-W60"], _env(XLFLOW_LANG="en"))
    assert result.returncode == 2
    assert result.stderr.decode("utf-8").splitlines()[-1] == \
        "Error: Invalid value for '--week': '2024-W60': 2024 has no week 60"

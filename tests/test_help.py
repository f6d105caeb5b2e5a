"""`--help` speaks the language of the rest of the output: Chinese by default, English
with --lang en, XLFLOW_LANG=en or an English locale; every command and option has both;
a GBK console shows it; it fits an 80-column console without breaking a line badly."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from xlflow import _help, helptexts
from xlflow.cli import cli

CJK = re.compile(r"[\u4e00-\u9fff]")
LOCALE = ("XLFLOW_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def _tree(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], click.Command]]:
    """Every command under `group` with the words that call it, the group first."""
    yield path, group
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from _tree(command, (*path, name))
        else:
            yield (*path, name), command


def _key(path: tuple[str, ...]) -> str:
    return path[-1] if path else "xlflow"


def _options(command: click.Command) -> list[click.Parameter]:
    """Its options with click's own --help (and the group's --version)."""
    ctx = click.Context(command, info_name=command.name)
    return [p for p in command.get_params(ctx) if isinstance(p, click.Option)]


PAGES = [path for path, _ in _tree()]


@pytest.fixture(autouse=True)
def _no_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in LOCALE:
        monkeypatch.delenv(var, raising=False)


def _page(runner: CliRunner, path: tuple[str, ...], *lang: str) -> str:
    args = [*(("--lang", lang[0]) if lang else ()), *path, "--help"]
    result = runner.invoke(cli, args, terminal_width=78)  # an 80-column console: click
    assert result.exit_code == 0, result.output  # leaves 2 free (CliRunner would say 80)
    return result.output


@pytest.mark.parametrize("path", PAGES, ids=lambda p: " ".join(p) or "xlflow")
def test_every_command_and_option_has_chinese_and_english_help(path: tuple[str, ...]) -> None:
    command = dict(_tree())[path]
    chinese = _help.command_help(_key(path), "zh")
    assert chinese, f"no Chinese help for {_key(path)}: add it to helptexts.COMMANDS"
    short, long = chinese
    assert CJK.search(long) and (CJK.search(short) or not path)
    assert command.help and _help.command_help(_key(path), "en") is None  # click's English
    for option in _options(command):
        en, zh = _help.option_help(option, "en"), _help.option_help(option, "zh")
        assert en, f"{_key(path)} {option.opts[0]} has no help"
        assert zh and CJK.search(zh) and zh != en, \
            f"{_key(path)} {option.opts[0]}: no Chinese for {en!r} in helptexts.OPTIONS"


@pytest.mark.parametrize("path", PAGES[1:], ids=lambda p: " ".join(p))
def test_the_chinese_help_says_what_the_english_says(path: tuple[str, ...]) -> None:
    """The same example and the same options named, so a translation cannot drift."""
    command = dict(_tree())[path]
    assert command.help
    _, zh = helptexts.COMMANDS[_key(path)]
    example_en = re.findall(r"^Example: (.*)$", inspect.cleandoc(command.help), re.MULTILINE)
    example_zh = re.findall(r"^示例:(.*)$", zh, re.MULTILINE)
    assert example_en == example_zh and example_zh[0].startswith(f"xlflow {' '.join(path)} ")
    assert set(re.findall(r"--[a-z-]+", zh)) == set(re.findall(r"--[a-z-]+", command.help))


def test_no_translation_is_left_over() -> None:
    used = {" ".join(o.help.split()) for _, c in _tree() for o in _options(c) if o.help}
    assert set(helptexts.OPTIONS) - used == set()
    assert set(helptexts.COMMANDS) == {_key(path) for path in PAGES}


def test_help_is_in_the_language_of_the_output(runner: CliRunner,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def heading(*args: str) -> str:
        return runner.invoke(cli, list(args)).output.split(" ", 1)[0]

    assert heading("--help") == heading("merge", "--help") == "用法:"
    assert heading("--lang", "en", "--help") == heading("--help", "--lang", "en") == "Usage:"
    assert heading("--lang", "en", "merge", "--help") == "Usage:"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert heading("merge", "--help") == "Usage:"
    monkeypatch.setenv("XLFLOW_LANG", "zh")
    assert heading("merge", "--help") == "用法:"
    monkeypatch.setenv("XLFLOW_LANG", "en")
    assert heading("merge", "--help") == "Usage:"
    assert heading("--lang", "zh", "merge", "--help") == "用法:"
    monkeypatch.delenv("XLFLOW_LANG")
    monkeypatch.delenv("LANG")
    zh, en = _page(runner, ("send",)), _page(runner, ("send",), "en")
    assert "选项:\n" in zh and "--resend            本周邮件已发出的部门也再发送一次。" in zh
    assert "Options:\n" in en and "Send again to departments" in en
    assert "[默认:30.0;x>0]" in zh.replace("\n", "").replace(" ", "")
    root = _page(runner, ())
    assert "命令:\n" in root and "  merge      汇总交回的工作簿" in root
    assert "English help: xlflow --lang en --help" in root


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_shows_on_a_gbk_console_in_80_columns(runner: CliRunner, lang: str) -> None:
    for path in PAGES:
        page = _page(runner, path, lang)
        page.encode("gbk")  # no ✓ ≤ or other symbols a GBK console lacks
        for line in page.splitlines():
            # a Chinese character takes two columns; the 80th column makes conhost wrap
            assert _help.width(line) <= 79, (path, line)
            assert not line.lstrip().startswith(tuple(",;:!?)」』》、。")), (path, line)
        if lang == "zh":
            assert not re.search(r"[a-zA-Z]{2,}", page.split("\n", 1)[0].split(":", 1)[0])
            assert not re.search(r"「[^」\n]*\n", page), path  # a 「quoted」 word stays whole
        commands = page.partition("命令:\n" if lang == "zh" else "Commands:\n")[2]
        assert all(re.match(r"  [a-z]+ ", line) for line in commands.splitlines()), \
            "a command's line in the list is one line"


def test_help_on_a_real_gbk_console() -> None:
    """As a Chinese Windows console gets it: GBK bytes, no '?' for a missing symbol."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE}
    for args in (["--help"], ["send", "--help"], ["--lang", "en", "status", "--help"]):
        out = subprocess.run([sys.executable, "-m", "xlflow", *args], capture_output=True,
                             env={**env, "PYTHONIOENCODING": "gbk"}, check=True).stdout
        text = out.decode("gbk")
        assert ("用法:" if args[0] != "--lang" else "Usage:") in text and "?" not in text


def test_chinese_lines_break_between_characters_not_inside_words() -> None:
    text = "用邮件把各部门的工作簿发给该部门,默认只写 .eml 文件到 DIR/outbox/mail/<week>/。" \
           "每张工作表都标明「草稿」。"
    lines = _help.fill(text, 30, "  ", "  ").splitlines()
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert all(_help.width(line) <= 30 for line in lines)
    assert any("DIR/outbox/mail/<week>/。" in line for line in lines)
    assert all(not line.strip().startswith(("。", ",")) for line in lines)
    assert all("「草" not in line or "稿」" in line for line in lines)
    # lines of a paragraph join without a space between Chinese characters
    assert _help.wrap("第一行\n第二行 and\nmore", 78) == "第一行第二行 and more"

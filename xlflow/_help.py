"""`--help` in the run's language, laid out for Chinese.

The language is the one every line of the CLI uses (`lang` below; xlflow/texts.py says
how the default is chosen): `--lang`, else `XLFLOW_LANG`, else the locale, else Chinese.
In Chinese, a command's help and its line in `xlflow --help` come from
`helptexts.COMMANDS`, an option's help from `helptexts.OPTIONS` (keyed by the English
written in cli.py); in English, click's help as written in cli.py. Either way the text
is wrapped by display width (a Chinese character takes two columns) and may break
between Chinese characters, not only at spaces as click's wrapper does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import click

from . import _clicktexts, helptexts, texts

_META = "xlflow.lang"  # the root's --lang, read before --help is acted on

# click's own words in help pages (it translates them with gettext, not for us)
_WORDS_ZH = {"Usage:": "用法:", "Options": "选项", "Commands": "命令",
             "Positional arguments": "参数"}
_EXTRA_ZH = (("default: ", "默认:"), ("env var: ", "环境变量:"), ("required", "必填"),
             ("; ", ";"))
# No line starts with closing punctuation or ends with opening punctuation.
_NO_START = frozenset(",.;:!?)]}>%、。,;:!?)」』》〉…·")
_NO_END = frozenset("([{<「『《〈(“‘")
_EXAMPLE = ("示例:", "Example:")


def lang(ctx: click.Context | None = None) -> str:
    """This run's language, zh or en: the root's --lang (wherever it stands among the
    root's options), else texts.default_lang() (XLFLOW_LANG, the locale, zh)."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is not None:
        root = ctx.find_root()
        chosen = root.params.get("lang") or root.meta.get(_META)
        if chosen in texts.LANGS:
            return str(chosen)
    return texts.default_lang()


def _key(english: str) -> str:
    return " ".join(english.split())


def option_help(param: click.Parameter, language: str) -> str | None:
    """An option's help in `language`; None when it has none (in Chinese: no entry in
    helptexts.OPTIONS for its English)."""
    english = getattr(param, "help", None)
    if language == "en" or not english:
        return english
    return helptexts.OPTIONS.get(_key(english))


def command_help(key: str, language: str) -> tuple[str, str] | None:
    """(short, long) Chinese help of a command ("xlflow" the group), None in English
    (click's, from cli.py) or when helptexts.COMMANDS has none."""
    return None if language == "en" else helptexts.COMMANDS.get(key)


# -- layout -------------------------------------------------------------------------------


def width(text: str) -> int:
    """Columns `text` takes on a Chinese console: two for a Chinese character and for
    the symbols a GBK console draws double (→ · …), one for ASCII."""
    return sum(0 if unicodedata.combining(ch) else
               1 if ch.isascii() or unicodedata.east_asian_width(ch) in ("Na", "H") else 2
               for ch in text)


def _wide(ch: str) -> bool:
    return not ch.isascii() and unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> Iterator[str]:
    """Runs of spaces, runs of other narrow characters (words, paths, options) and
    single wide characters: a line may break between any two wide ones."""
    run = ""
    for ch in text:
        if run and (_wide(ch) or _wide(run[-1]) or ch.isspace() != run[-1].isspace()):
            yield run
            run = ""
        run += ch
    if run:
        yield run


def _breaks(before: str, after: str) -> bool:
    """May a line break between these two runs (no space between them)? Between Chinese
    characters, yes; not before closing or after opening punctuation, not inside a
    「quoted」 word, not between a Chinese character and a letter or digit (PMO总表)."""
    if not (_wide(after[0]) or _wide(before[-1])):
        return False
    if after[0] in _NO_START or before[-1] in _NO_END:
        return False
    if before.count("「") > before.count("」"):
        return False
    return not (before[-1].isascii() and before[-1].isalnum()
                or after[0].isascii() and after[0].isalnum())


def _units(text: str, command: bool = False) -> list[tuple[str, str]]:
    """(space before, unit): the pieces a line is filled with, never broken inside. A
    command line (an example) breaks only at spaces outside quotes."""
    if command:
        return re.findall(r"""(\s*)((?:"[^"]*"|'[^']*'|\S)+)""", text)
    units: list[tuple[str, str]] = []
    space, unit = "", ""
    for token in _tokens(text):
        if token.isspace():
            if unit:
                units.append((space, unit))
                unit = ""
            space = token
        elif unit and _breaks(unit, token):
            units.append((space, unit))
            space, unit = "", token
        else:
            unit += token
    if unit:
        units.append((space, unit))
    return units


def fill(text: str, columns: int, initial: str = "", subsequent: str = "",
         command: bool = False) -> str:
    """One paragraph filled into lines of at most `columns` display columns (a unit
    wider than that, such as a long path, stands alone on its line)."""
    lines: list[str] = []
    line, used = initial, width(initial)
    fresh = True
    for space, unit in _units(text, command):
        if fresh or used + width(space) + width(unit) <= columns:
            line += ("" if fresh else space) + unit
            used += (0 if fresh else width(space)) + width(unit)
            fresh = False
        else:
            lines.append(line.rstrip())
            line, used = subsequent + unit, width(subsequent) + width(unit)
    lines.append(line.rstrip())
    return "\n".join(lines)


def _paragraphs(text: str) -> Iterator[tuple[int, bool, str]]:
    """(indent, raw, text) as click reads help: blank lines part paragraphs, a
    paragraph whose first line is \\b is kept as written, the lines of any other are
    joined (without a space between two Chinese characters)."""
    block: list[str] = []
    for line in [*text.expandtabs().splitlines(), ""]:
        if line.strip():
            block.append(line.rstrip())
            continue
        if not block:
            continue
        indent = len(block[0]) - len(block[0].lstrip())
        if block[0].strip() == "\b":
            yield indent, True, "\n".join(block[1:])
        else:
            joined = ""
            for part in (line.strip() for line in block):
                glue = "" if not joined or (_wide(joined[-1]) and _wide(part[0])) else " "
                joined += glue + part
            yield indent, False, joined
        block = []


def wrap(text: str, columns: int, indent: str = "") -> str:
    """Help text (paragraphs, \\b blocks) laid out in `columns` columns; an example's
    continuation lines are indented under the command."""
    out = []
    for extra, raw, paragraph in _paragraphs(text):
        first = indent + " " * extra
        if raw:
            out.append("\n".join(first + line for line in paragraph.splitlines()))
            continue
        hang = next((width(p) for p in _EXAMPLE if paragraph.startswith(p)), 0)
        out.append(fill(paragraph, columns, first, first + " " * hang, command=hang > 0))
    return "\n\n".join(out)


class Formatter(click.HelpFormatter):
    """click's help layout with display widths, Chinese line breaks and, in Chinese,
    click's own words (Usage, Options, Commands) in Chinese."""

    lang = texts.DEFAULT

    def _word(self, english: str) -> str:
        return _WORDS_ZH.get(english, english) if self.lang == "zh" else english

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        head = f"{'':>{self.current_indent}}{prefix or self._word('Usage:') + ' '}{prog} "
        self.write(fill(args, self.width, head, " " * width(head), command=True) + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{self._word(heading)}:\n")

    def write_text(self, text: str) -> None:
        self.write(wrap(text, self.width, " " * self.current_indent) + "\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((width(term) for term, _ in rows), default=0), col_max) + col_spacing
        margin = " " * (self.current_indent + first_col)
        for term, definition in rows:
            head = " " * self.current_indent + term
            if not definition:
                self.write(head + "\n")
                continue
            if width(term) <= first_col - col_spacing:
                head += " " * (first_col - width(term))
            else:
                self.write(head + "\n")
                head = margin
            text = wrap(definition, max(self.width - self.current_indent - first_col, 10))
            lines = text.splitlines() or [""]
            self.write(head + lines[0] + "\n")
            for line in lines[1:]:
                self.write((margin + line).rstrip() + "\n")


class Context(click.Context):
    """Help pages in the run's language."""

    formatter_class = Formatter

    def make_formatter(self) -> click.HelpFormatter:
        formatter = super().make_formatter()
        if isinstance(formatter, Formatter):
            formatter.lang = lang(self)
        return formatter


def _extras_zh(extras: str) -> str:
    """click's '  [default: 30.0; required]' after an option's help, in Chinese."""
    for english, chinese in _EXTRA_ZH:
        extras = extras.replace(english, chinese)
    return extras


class _Localized(click.Command):
    """A command whose help, short help and options' help follow the run's language."""

    context_class = Context

    def help_key(self) -> str:
        return self.name or ""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if exc.ctx is None:  # click's parser leaves it out ("requires an argument")
                exc.ctx = ctx  # so that the usage line and the --help hint are shown too
            raise

    def get_short_help_str(self, limit: int = 45) -> str:
        chosen = command_help(self.help_key(), lang())
        if chosen:
            return chosen[0]
        text = super().get_short_help_str(limit)  # click counts characters, not columns
        while width(text) > limit > 10:
            limit -= 1
            text = super().get_short_help_str(limit)
        return text

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        chosen = command_help(self.help_key(), lang(ctx))
        if chosen is None:
            super().format_help_text(ctx, formatter)
            return
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(chosen[1])

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = list(_option_rows(self.get_params(ctx), ctx, lang(ctx)))
        if rows:
            with formatter.section("Options"):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


def _option_rows(params: Iterable[click.Parameter], ctx: click.Context,
                 language: str) -> Iterator[tuple[str, str]]:
    """click's (option, help) rows, the help in `language` (English when a Chinese one
    is missing: tests/test_help.py says which)."""
    for param in params:
        record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
        if record is None:
            continue
        term, text = record
        english = getattr(param, "help", None) or ""
        chosen = option_help(param, language)
        if language != "en" and chosen and text.startswith(english):
            text = chosen + _extras_zh(text[len(english):])
        yield term, text


class Command(_Localized):
    """An xlflow command (cli.py's group makes every command of this class)."""


class Group(_Localized, click.Group):
    """The `xlflow` group: reads --lang before --help is acted on, so that
    `xlflow --help --lang en` is English too."""

    command_class = Command

    def help_key(self) -> str:
        return "xlflow"

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """click's usage errors in the run's language too (xlflow/_clicktexts.py)."""
        _clicktexts.install()
        token = _clicktexts.LANGUAGE.set(texts.default_lang())
        try:
            return super().main(*args, **kwargs)
        finally:
            _clicktexts.LANGUAGE.reset(token)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = _lang_first(args)
        try:
            opts, _, _ = self.make_parser(ctx).parse_args(args=list(args))
        except click.UsageError:  # said again, properly, by click's own parse below
            opts = {"lang": _written_lang(args)}
        ctx.meta[_META] = opts.get("lang")
        _clicktexts.LANGUAGE.set(lang(ctx))
        return super().parse_args(ctx, args)


def _lang_first(args: list[str]) -> list[str]:
    """`xlflow merge DIR --lang en` as `xlflow --lang en merge DIR`: --lang is the group's
    option, but people type it after the command too (no command has one of its own)."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if i and arg.startswith("--lang=") and args[0] != "--lang":
            return [arg, *args[:i], *args[i + 1:]]
        if i and arg == "--lang" and i + 1 < len(args) and args[i - 1] != "--lang":
            return [arg, args[i + 1], *args[:i], *args[i + 2:]]
    return args


def _written_lang(args: list[str]) -> str | None:
    """The value of --lang in a command line click cannot parse (so that its error is
    in that language)."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


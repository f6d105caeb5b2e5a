"""click's own messages (unknown option, missing argument, bad value, the --help hint …)
in the run's language.

click builds every message with gettext's `_` and `ngettext`, looked up by name in its
modules each time a message is made. `install()` puts `gettext`/`ngettext` below in
their place: during an xlflow run in Chinese (`LANGUAGE`, set by the `xlflow` group from
--lang, XLFLOW_LANG, the locale) they return the Chinese of click's English message
ids in `ZH`/`ZH_PLURAL`; anything else (English, a message click adds later, another
program in the same process) gets click's English unchanged, never an error. The exit
code stays click's: 2 for a usage error.
"""

from __future__ import annotations

import gettext as _gettext
import re
import sys
from contextvars import ContextVar
from typing import Any

# The language of the xlflow run in progress; None outside one (click's English).
LANGUAGE: ContextVar[str | None] = ContextVar("xlflow_click_language", default=None)

# click's English message id -> the Chinese (str.format fields as click fills them).
# A value the user typed is quoted 「」, an option or argument as click quotes it ('--week').
ZH: dict[str, str] = {
    # exceptions.py: how every usage error is shown
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "用法和示例请看 {command} {option}",
    "Invalid value: {message}": "值无效:{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效:{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少必填选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "No such option {name!r}.": "没有选项 {name!r}",
    "No such command {name!r}.": "没有命令 {name!r}",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件「{filename}」:{message}",
    # core.py, parser.py: the command line's shape
    "Aborted!": "已中止",
    "Missing command.": "缺少命令:xlflow 之后要写命令,例如 xlflow status DIR",
    "Value must be an iterable.": "应为一组值",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不能带值",
    # types.py: a value that is not what the option takes
    "Choose from:\n\t{choices}": "可选值:\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "「{value}」不是{number_type}",
    "{value} is not in the range {range}.": "{value} 超出范围,应满足 {range}",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "「{value}」不是是非值,可用的值:{states}",
    "{value!r} is not a valid UUID.": "「{value}」不是 UUID",
    "{name} {filename!r} does not exist.": "{name}「{filename}」不存在",
    "{name} {filename!r} is a file.": "「{filename}」是文件,这里应为{name}",
    "{name} {filename!r} is a directory.": "「{filename}」是文件夹,这里应为{name}",
    "{name} {filename!r} is not readable.": "{name}「{filename}」不可读(没有读取权限)",
    "{name} {filename!r} is not writable.": "{name}「{filename}」不可写(没有写入权限)",
    "{name} {filename!r} is not executable.": "{name}「{filename}」不可执行",
    # termui.py: prompts (SMTP/IMAP password)
    "Repeat for confirmation": "请再输入一次确认",
    "Error: The two entered values do not match.": "错误:两次输入的值不一致",
    "Error: invalid input": "错误:输入无效",
    "Press any key to continue...": "按任意键继续...",
}

# (singular, plural) English ids -> (singular, plural) Chinese.
ZH_PLURAL: dict[tuple[str, str], tuple[str, str]] = {
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("(是不是要用 {possibility}?)", "(是不是要用其中之一:{possibilities}?)"),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("多余的参数:{args}(含空格的路径或文字请用引号括起来)",
         "多余的参数:{args}(含空格的路径或文字请用引号括起来)"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("选项 {name!r} 后面缺少值", "选项 {name!r} 后面需要 {nargs} 个值"),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        ("需要 {nargs} 个值,只给了 1 个", "需要 {nargs} 个值,给了 {len} 个"),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("「{value}」不是可选值,应为 {choice}", "「{value}」不是可选值,应为其中之一:{choices}"),
    ("{value!r} does not match the format {format}.",
     "{value!r} does not match the formats {formats}."):
        ("「{value}」不是有效的日期或时间,格式应为 {format}",
         "「{value}」不是有效的日期或时间,格式应为其中之一:{formats}"),
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        ("需要 {len_type} 个值,只给了 {len_value} 个", "需要 {len_type} 个值,给了 {len_value} 个"),
}

# English words click fills into its messages (type names, made when cli.py is imported).
_WORDS_ZH = {"integer": "整数", "integer range": "整数", "float": "数字", "float range": "数字",
             "File": "文件", "Directory": "文件夹", "Path": "路径",
             "file": "文件", "directory": "文件夹", "path": "路径"}
# strftime codes as people write dates ('%Y-%m-%d' -> 'YYYY-MM-DD')
_STRFTIME = (("%Y", "YYYY"), ("%m", "MM"), ("%d", "DD"), ("%H", "HH"), ("%M", "mm"),
             ("%S", "ss"))


def _field_zh(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key == "message":  # click ends "缺少参数 'DIRECTORY'." with an English full stop
        return re.sub(r"(?<=')\.(?=\s|$)", "", value)
    if key in ("format", "formats"):
        for code, written in _STRFTIME:
            value = value.replace(code, written)
        return value
    return _WORDS_ZH.get(value, value) if key in ("name", "number_type") else value


class _Chinese(str):
    """A Chinese message template: the English words click fills in (integer, File,
    %Y-%m-%d) are put into Chinese too."""

    def format(self, *args: object, **kwargs: object) -> str:
        return str.format(self, *args, **{k: _field_zh(k, v) for k, v in kwargs.items()})


def chinese() -> bool:
    return LANGUAGE.get() == "zh"


def gettext(message: str) -> str:
    """click's `_`: the Chinese of `message` during a Chinese run, else click's own."""
    if chinese() and message in ZH:
        return _Chinese(ZH[message])
    return _gettext.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's `ngettext`, the same way."""
    if chinese() and (singular, plural) in ZH_PLURAL:
        one, many = ZH_PLURAL[singular, plural]
        return _Chinese(one if n == 1 else many)
    return _gettext.ngettext(singular, plural, n)


def install() -> None:
    """Put gettext/ngettext above in the place of the stdlib's in click's loaded modules
    (those that use them; idempotent)."""
    for name, module in list(sys.modules.items()):
        if name != "click" and not name.startswith("click."):
            continue
        names = vars(module)
        if names.get("_") is _gettext.gettext:
            names["_"] = gettext
        if names.get("ngettext") is _gettext.ngettext:
            names["ngettext"] = ngettext

"""The `xlflow` command: parses options, calls one `xlflow.api` function, renders the
result. Exit codes: 0 clean, 1 input problems, 2 usage or project error."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__, api
from .errors import ExitStatus, XlflowError

_DEBUG = {"on": False}


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """XlflowError -> one clear line and exit 2; other errors too, unless --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except XlflowError as exc:
            if _DEBUG["on"]:
                traceback.print_exc()
            click.secho(f"错误 error: {exc}", fg="red", err=True)
            sys.exit(int(exc.exit_status))
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # noqa: BLE001 - last line of defence for users
            if _DEBUG["on"]:
                raise
            click.secho(f"内部错误 internal error: {type(exc).__name__}: {exc} "
                        "(run again with --debug for a traceback)", fg="red", err=True)
            sys.exit(int(ExitStatus.USAGE))

    return wrapper


project_dir = click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
week_option = click.option("--week", metavar="YYYY-Www",
                           help="ISO week, e.g. 2024-W28 (default: this week).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlflow")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def cli(debug: bool) -> None:
    """xlflow: run a cross-department collaboration (跨部门合作流程) on Excel workbooks.

    \b
    Weekly loop:  xlflow build DIR  ->  email outbox/  ->  save returns in inbox/
                  ->  xlflow merge DIR  ->  reports/<week>-consolidated.xlsx
    """
    _DEBUG["on"] = debug


@cli.command()
@project_dir
@click.option("--example", is_flag=True,
              help="Write the seed's example: 产品部's 用户增长活动 with 市场部, 技术部, 运营部.")
@click.option("--force", is_flag=True, help="Overwrite an existing project.yaml.")
@handle_errors
def init(directory: Path, example: bool, force: bool) -> None:
    """Create DIR/project.yaml (模板1 + 模板2) and the inbox/outbox/reports folders.

    Example: xlflow init ug2024 --example
    """
    result = api.init_project(directory, example=example, force=force)
    click.echo(f"wrote {result.project_file}")
    click.echo(f"next: edit it, then run `xlflow build {directory}`")


@cli.command()
@project_dir
@week_option
@click.option("--department", "departments", multiple=True, metavar="NAME",
              help="Only this department (repeatable).")
@handle_errors
def build(directory: Path, week: str | None, departments: tuple[str, ...]) -> None:
    """Write one workbook per department and the PMO master into DIR/outbox/<week>/.

    Example: xlflow build ug2024 --week 2024-W28
    """
    result = api.build(directory, week=week, departments=list(departments) or None)
    click.echo(f"{result.project.name} · {result.week}: "
               f"{len(result.departments)} department workbook(s) in {result.outbox}")
    for name, path in result.departments.items():
        click.echo(f"  {name}: {path.name}")
    click.echo(f"  PMO: {result.master.name}")

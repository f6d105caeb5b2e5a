"""The `xlflow` command: parses options, calls one `xlflow.api` function, renders the
result. Exit codes: 0 clean, 1 input problems, 2 usage or project error."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__, _console, _help, api, texts
from ._shell import shell_word
from .codes import CODES
from .errors import ExitStatus, StorageError, XlflowError
from .model.mailing import SentMail
from .model.vocab import RiskFlag, percent_text
from .signing import Signature
from .weeks import NoSuchWeek, normalise_week
from .workspace import Workspace, now


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


def _lang() -> str:
    """The --lang of this run (the environment's when there is no context); --help too."""
    return _help.lang()


def _t(key: str, **fields: Any) -> str:
    """The line `key` (xlflow/texts.py) in this run's language."""
    return texts.text(key, _lang(), **fields)


def _when(at: str) -> str:
    """A recorded ISO time as people read it: local time, to the minute."""
    try:
        when = dt.datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return str(at)
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M")


def _listed(items: list[str]) -> str:
    """': a, b' after a count, or nothing when there is nothing to list."""
    return _t("list", items=_t("list-sep").join(items)) if items else ""


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """XlflowError -> one clear line and exit 2; other errors too, unless --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except XlflowError as exc:
            if _debug():
                traceback.print_exc()
            click.secho(_t("error", message=exc), fg="red", err=True)
            sys.exit(int(exc.exit_status))
        except BrokenPipeError:  # `xlflow ... | head`: the reader has all it wants
            _console.silence_streams()
            sys.exit(int(ExitStatus.BROKEN_PIPE))
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except OSError as exc:  # a folder or disk the library did not name: still no "internal"
            if _debug():
                raise
            where = exc.filename or "文件"
            click.secho(_t("error", message=StorageError.from_os(where, exc)), fg="red", err=True)
            sys.exit(int(ExitStatus.USAGE))
        except Exception as exc:
            if _debug():
                raise
            click.secho(_t("internal-error", kind=type(exc).__name__, message=exc), fg="red",
                        err=True)
            sys.exit(int(ExitStatus.USAGE))

    return wrapper


def _week(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An ISO week option (--week, --drop), told wrong in the run's language."""
    if value is None:
        return None
    try:
        return normalise_week(value)
    except NoSuchWeek as exc:
        raise click.BadParameter(_t("no-such-week", value=value, year=exc.year,
                                    week=exc.week)) from None
    except ValueError:
        raise click.BadParameter(_t("not-a-week", value=value)) from None


def _address_option(parse: Callable[[str], object], key: str, example: str) -> Callable[..., str | None]:
    """A callback checking --smtp/--imap while the command line is parsed: a bad address
    is a usage error in the console's language."""
    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            try:
                parse(value)
            except ValueError:
                raise click.BadParameter(_t(key, value=value, example=example)) from None
        return value
    return check


_smtp_address = _address_option(api.SmtpSettings.parse, "not-a-host-port", "smtp.example.com:587")
_imap_address = _address_option(api.ImapSettings.parse, "not-a-host", "imap.example.com:993")


project_dir = click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
week_option = click.option("--week", metavar="YYYY-Www", callback=_week,
                           help="ISO week, e.g. 2024-W28 (default: the current ISO week).")

draft_option = click.option("--draft", is_flag=True,
                            help="Run before PMO备案 anyway; every sheet written says 草稿.")

PROCESS_ORDER = ("init", "status", "opinion", "approve", "file", "change", "build", "send",
                 "collect", "risks", "remind", "validate", "merge", "notify", "meeting", "run",
                 "history", "review", "resources", "portfolio", "accept", "retro", "archive",
                 "cases")


class _ProcessOrder(_help.Group):
    """--help lists the commands in the order of the process, not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        known = [c for c in PROCESS_ORDER if c in self.commands]
        return known + sorted(set(self.commands) - set(known))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        _console.setup_streams()  # a GBK console cannot show ✓ ✗: print √ × instead of failing
        return super().main(*args, **kwargs)


@click.group(cls=_ProcessOrder, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlflow")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.option("--lang", type=click.Choice(texts.LANGS), default=texts.default_lang,
              help="Language of the output and of --help: zh (default) or en. Default from "
                   "XLFLOW_LANG, "
                   "else the locale (LC_ALL, LC_MESSAGES, LANG): zh unless it names another "
                   "language.")
def cli(debug: bool, lang: str) -> None:
    """xlflow: run a cross-department collaboration (跨部门合作流程) on Excel workbooks.

    \b
    Weekly loop:  xlflow build DIR  ->  xlflow send DIR  ->  returns in inbox/
                  ->  xlflow merge DIR  ->  reports/<week>-consolidated.xlsx
    Phases:       init -> opinion -> approve -> file -> (weekly loop, review)
                  -> accept -> retro -> archive
    Where you are: xlflow status DIR; what a command does: xlflow COMMAND --help.

    中文帮助: xlflow --lang zh --help (或设置 XLFLOW_LANG=zh).
    """


@cli.command()
@project_dir
@click.option("--example", is_flag=True,
              help="Write the seed's example: 产品部's 用户增长活动 with 市场部, 技术部, 运营部.")
@click.option("--force", is_flag=True, help="Overwrite an existing project.yaml.")
@handle_errors
def init(directory: Path, example: bool, force: bool) -> None:
    """Create DIR/project.yaml (模板1 + 模板2), the inbox/outbox/reports folders and the
    project's signing key DIR/.xlflow-key (--example: the public example key).

    Example: xlflow init ug2024 --example
    """
    result = api.init_project(directory, example=example, force=force)
    click.echo(_t("wrote", path=result.project_file))
    if result.key_file:
        click.echo(_t("init.key", path=result.key_file,
                      note=_t("key.example-note") if example else _t("key.note")))
    click.echo(_t("init.next", directory=directory, week=_first_week(directory)))


def _first_week(directory: Path) -> str:
    """` --week W` for the init hint when this week is outside the project's period (the
    example is a 2024 project): build would refuse this week."""
    from .project import load_project
    from .weeks import week_label

    try:
        project = load_project(directory)
    except XlflowError:
        return ""
    today = dt.date.today()
    if project.first_day <= today <= project.late_end:
        return ""
    return f" --week {week_label(project.start)}"




@cli.command()
@project_dir
@week_option
@click.option("--department", "departments", multiple=True, metavar="NAME",
              help="Only this department (repeatable).")
@draft_option
@handle_errors
def build(directory: Path, week: str | None, departments: tuple[str, ...], draft: bool) -> None:
    """Write one workbook per department and the PMO master into DIR/outbox/<week>/.
    Before PMO备案 it stops (exit 2) naming the missing steps, unless --draft.

    Example: xlflow build ug2024 --week 2024-W28
    """
    result = api.build(directory, week=week, departments=list(departments) or None,
                       draft=draft)
    if result.key_file:
        click.echo(_t("build.key", path=result.key_file, note=_t("key.note")))
    click.echo(_t("build.summary", project=result.project.name, week=result.week,
                  n=len(result.departments), outbox=result.outbox))
    for name, path in result.departments.items():
        click.echo(f"  {name}: {path.name}")
    click.echo(_t("build.master", name=result.master.name))


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_t("not-a-date", value=value)) from None


json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON object (the library's report.to_dict()).")
MAX_SHOWN = 30


def _went(mail: SentMail[Any]) -> str:
    """Where a message went: its .eml file, or whether the SMTP server took it."""
    return mail.eml or (_t("send.sent") if mail.sent else _t("send.not-sent", error=mail.error))


def _echo_issues(issues: list[Any], more: str = "issues.more-in-json") -> None:
    hinted: set[str] = set()
    lang = _lang()
    for issue in issues[:MAX_SHOWN]:
        colour = "red" if issue.is_error else "yellow"
        click.secho(f"  {'✗' if issue.is_error else '!'} {issue.describe(lang)}", fg=colour)
        if issue.code not in hinted:  # what to do, once per code (xlflow/codes.py)
            hinted.add(issue.code)
            click.echo(f"    → {CODES[issue.code].remedy}")
    if len(issues) > MAX_SHOWN:
        click.echo(_t(more, n=len(issues) - MAX_SHOWN))


class _Progress:
    """A progress bar on stderr, shown only when there are many files."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.quiet or total < 10:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=_t("progress.reading"),
                                         file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)
        if done == total:
            self.bar.__exit__(None, None, None)


@cli.command()
@project_dir
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD",
              help="Date the deviation is measured at (default: today if it falls in "
                   "--week, else that week's Friday).")
@click.option("--week", metavar="YYYY-Www", callback=_week,
              help="ISO week, e.g. 2024-W28 (default: the week of the as-of date).")
@click.option("--workdays/--calendar-days", default=None,
              help="Count deviation in working days (mainland China calendar) "
                   "(default: settings.workdays in project.yaml).")
@click.option("--force", is_flag=True,
              help="Merge even when the as-of date is outside the week or the project window.")
@draft_option
@json_option
@handle_errors
def merge(directory: Path, files: tuple[Path, ...], as_of: dt.date | None, week: str | None,
          workdays: bool | None, force: bool, draft: bool, as_json: bool) -> None:
    """Merge the returned workbooks (FILES, or every file in DIR/inbox) into
    DIR/reports/<week>-consolidated.xlsx and the ledger. FILES are looked up in the
    current folder, then in DIR. A merge that accepts no file writes its report but
    records nothing in the ledger.

    Exit status: 0 clean, 1 merged but some input had errors, 2 usage or project error.

    Example: xlflow merge ug2024 --week 2024-W28 --as-of 2024-07-12
    """
    report = api.merge(directory, list(files) or None, as_of=as_of, week=week,
                       workdays=workdays, progress=_Progress(as_json), force=force,
                       draft=draft)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        s = report.to_dict()["summary"]
        click.echo(_t("merge.title", project=report.project_name, week=report.week,
                      as_of=report.as_of))
        click.echo(_t("merge.files", files=s["files"], accepted=s["accepted"],
                      rows=s["rows_merged"]))
        click.echo(_t("merge.problems", errors=s["errors"], warnings=s["warnings"]))
        _echo_issues(report.issues, "issues.more-in-report")
        late = report.late_tasks
        click.echo(_t("merge.late", n=len(late)) + _listed([
            _t("merge.late-item", task=t.task_id, department=t.department, status=t.status,
               days=t.deviation_days) for t in late]))
        high = report.open_high_risks
        click.echo(_t("merge.high", n=len(high)) + _listed(
            [f"{r.risk_id} {r.department}" for r in high]))
        if report.missing_weeks:
            click.echo(_t("merge.missing-weeks", weeks="、".join(report.missing_weeks),
                          previous=report.previous_week))
        if report.report_path:
            click.echo(_t("merge.report", path=report.report_path))
        if report.minutes_only:
            click.secho(_t("merge.minutes-only", n=sum(len(m.items) for m in report.minutes)),
                        fg="yellow")
        elif not report.recorded and report.minutes:
            click.secho(_t("merge.minutes-no-return",
                           n=sum(len(m.items) for m in report.minutes)), fg="yellow")
        elif not report.recorded:
            click.secho(_t("merge.nothing-accepted"), fg="yellow")
    sys.exit(int(report.exit_status))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder (default: the context stored in each workbook); with it "
                   "the signature is verified, without it the merge verifies it.")
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help="Default: today.")
@json_option
@handle_errors
def validate(files: tuple[Path, ...], project_dir: Path | None, as_of: dt.date | None,
             as_json: bool) -> None:
    """Check filled-in workbooks the way `merge` will, before sending them.

    Exit status: 0 clean, 1 some file has errors, 2 usage error.

    Example: xlflow validate UG-2024Q3-2024-W28-技术部.xlsx
    """
    report = api.validate(list(files), project_dir=project_dir, as_of=as_of)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for f in report.files:
            errors = sum(i.is_error for i in f.issues)
            click.echo(_t("validate.file", mark="✓" if not errors else "✗", path=f.path,
                          department=f.department or _t("validate.unknown-department"),
                          errors=errors, warnings=len(f.issues) - errors))
            _echo_issues(f.issues)
            if f.signature is Signature.UNCHECKED:
                click.echo(_t("validate.signature-unchecked"))
            elif f.signature is Signature.VALID:
                click.echo(_t("validate.signature-valid"))
    sys.exit(int(report.exit_status))


def _echo_step(result: Any, done: str) -> None:
    _echo_issues(result.issues)
    if result.recorded:
        click.echo(_t("step.done", done=_t(done), by=result.by, at=_when(result.at))
                   + (_t("step.note", note=result.note) if result.note else ""))
        for path in result.outputs:
            click.echo(_t("step.wrote", path=path))
    else:
        click.secho(_t("step.not-recorded"), fg="red")
    sys.exit(int(result.exit_status))


by_option = click.option("--by", required=True, metavar="NAME", help="Who does this step.")
note_option = click.option("--note", default="", help="A note kept with the step.")


def _at(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.datetime | None:
    """--at: when a step was taken, recorded afterwards; a date alone is that day's start,
    in this computer's time zone. Not later than now."""
    moment = _moment(ctx, param, value)
    if moment is None:
        return None
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    if moment.year < 2000:  # 0001-01-01 and the like: a typo, and beyond the time zone math
        raise click.BadParameter(_t("at-too-early", value=value))
    moment = moment.astimezone() if moment.tzinfo is None else moment
    if moment > now():
        raise click.BadParameter(_t("at-future", value=value))
    return moment


def _in_order(directory: Path, at: dt.datetime | None) -> None:
    """A step recorded with --at comes after the steps already recorded: an approval
    dated before the opinion it needs would make `status` and `portfolio --as-of` tell
    a story that did not happen. (The library lets a program record any time.)"""
    Workspace(directory).check_step_time(at)  # nothing to check without --at


at_option = click.option("--at", "at", callback=_at, metavar="YYYY-MM-DD[THH:MM]",
                         help="When the step was taken, to record it afterwards "
                              "(default: now).")


@cli.command()
@project_dir
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help="Default: today.")
@json_option
@handle_errors
def status(directory: Path, as_of: dt.date | None, as_json: bool) -> None:
    """Show the phase, what is missing to move on, the next deadline, late tasks and
    open high risks.

    Example: xlflow status ug2024
    """
    st = api.status(directory, today=as_of)
    if as_json:
        click.echo(json.dumps(st.to_dict(), ensure_ascii=False, indent=2))
        return
    phases = st.to_dict()["phases"]
    marks = [f"{p} ✓" if i < st.phase_index else (f"[{p}]" if i == st.phase_index else p)
             for i, p in enumerate(phases)]
    click.echo(_t("status.phase", phases=" → ".join(marks)))
    for step in st.completed:
        kind = f"kind.{step.kind}"
        click.echo(_t("status.step", kind=_t(kind) if kind in texts.TEXTS else step.kind,
                      by=step.by, at=_when(step.at))
                   + (_t("step.note", note=step.note) if step.note else ""))
    for item in st.missing:
        click.echo(_t("status.to-move-on", item=item))
    for c in st.pending_changes:
        click.echo(_t("status.pending-change", n=c.id, summary=c.summary, by=c.requested_by,
                      reason=c.reason))
    for item in st.alerts:
        click.secho(_t("status.alert", item=item), fg="red")
    if st.next_deadline:
        click.echo(_t("status.deadline", date=st.next_deadline[1], what=st.next_deadline[0]))
    click.echo(_t("status.last-merge", week=st.last_merge or _t("status.no-merge"))
               + _t("status.late", n=len(st.late_tasks))
               + "".join(_t("status.late-item", task=t.task_id, status=t.status,
                            days=t.deviation_days) for t in st.late_tasks)
               + _t("status.high", n=len(st.open_high_risks))
               + "".join(f" {r.risk_id}" for r in st.open_high_risks))


@cli.command()
@project_dir
@click.option("--department", required=True, metavar="NAME", help="Whose opinion it is.")
@by_option
@click.option("--text", required=True, help="The opinion, e.g. 同意,需提前介入需求评审.")
@click.option("--attendees", default="", metavar="NAMES",
              help="Who attended the 需求沟通会, e.g. 王晓、李娜、刘强 (the minutes' 参会人员).")
@click.option("--date", "meeting_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD", help="The 需求沟通会's date (the minutes' 会议日期).")
@at_option
@handle_errors
def opinion(directory: Path, department: str, by: str, text: str, attendees: str,
            meeting_date: dt.datetime | None, at: dt.datetime | None) -> None:
    """Record a department head's opinion for 需求共识 (goes into the minutes).

    Example: xlflow opinion ug2024 --department 运营部 --by 运营总监 --text "同意,需提前准备物料"
    """
    _in_order(directory, at)
    _echo_step(api.opinion(directory, department=department, by=by, text=text,
                           attendees=[attendees] if attendees else [],
                           date=meeting_date.date() if meeting_date else None, at=at),
                "done.opinion")


@cli.command()
@project_dir
@by_option
@note_option
@click.option("--reject", is_flag=True,
              help="Send the plan (or with --change, the change) back; --note says why.")
@click.option("--change", "change_number", type=click.IntRange(min=1), metavar="N",
              help="Approve (or --reject) plan change N instead of the plan.")
@at_option
@handle_errors
def approve(directory: Path, by: str, note: str, reject: bool, change_number: int | None,
            at: dt.datetime | None) -> None:
    """Record 方案审批 by the approver named in project.yaml (project.approver) after
    checking the seed's points (goal, resources, risks) and that no department head
    disagrees; rewrite the PMO master workbook with the approval. --reject sends the
    plan back; --change N approves a plan change (xlflow change).

    Example: xlflow approve ug2024 --by "分管副总 陈明" --note "同意,按期推进"
    """
    _in_order(directory, at)
    if change_number is not None:
        decided = api.approve_change(directory, change_number, by=by, reject=reject, note=note,
                                     at=at)
        c = decided.change
        click.echo(_t("change.decided", n=c.id, state=c.state, by=by, at=_when(c.decided_at),
                      summary=c.summary))
        if decided.project_file:
            click.echo(_t("wrote", path=decided.project_file))
        return
    result = api.approve(directory, by=by, note=note, reject=reject, at=at)
    _echo_step(result, "done.reject" if reject else "done.approve")


@cli.command()
@project_dir
@click.option("--task", metavar="ID", help="The task to change (e.g. T03).")
@click.option("--result", "result_id", metavar="ID", help="The expected result to change (R1).")
@click.option("--due", metavar="YYYY-MM-DD", help="New 时间节点 of the task.")
@click.option("--start", metavar="YYYY-MM-DD", help="New 开始日期 of the task.")
@click.option("--owner", metavar="NAME", help="New 负责人 of the task.")
@click.option("--deliverable", metavar="TEXT", help="New 交付成果 of the task.")
@click.option("--target", metavar="TARGET", help="New target of the result, e.g. '>= 120000'.")
@click.option("--add-task", metavar="ID",
              help="Add this task to the plan, as written in project.yaml (新增任务).")
@click.option("--remove-task", metavar="ID",
              help="Cancel this task (取消任务): on approval it is marked cancelled in "
                   "project.yaml, its past weeks kept.")
@click.option("--on", "on", callback=_date, metavar="YYYY-MM-DD",
              help="With --remove-task: the day the task leaves the plan, from the project "
                   "start to today (default: the day the change is approved).")
@click.option("--reason", required=True, help="Why the plan changes.")
@click.option("--by", required=True, metavar="NAME", help="Who asks for the change.")
@json_option
@handle_errors
def change(directory: Path, task: str | None, result_id: str | None, due: str | None,
           start: str | None, owner: str | None, deliverable: str | None, target: str | None,
           add_task: str | None, remove_task: str | None, on: dt.date | None, reason: str,
           by: str, as_json: bool) -> None:
    """Record a change to the filed plan (a task's dates, owner or deliverable, a result's
    target; a task added or cancelled) as change N, pending: it enters the plan and
    project.yaml once the approver runs `xlflow approve DIR --change N`.

    Example: xlflow change ug2024 --task T03 --due 2024-07-25 --reason "第三方支付接口延期" --by "PMO 王芳"
    """
    result = api.change(directory, by=by, reason=reason, task=task, result=result_id, due=due,
                        start=start, owner=owner, deliverable=deliverable, target=target,
                        add_task=add_task, remove_task=remove_task, on=on)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    c = result.change
    click.echo(_t("change.recorded", n=c.id, by=c.requested_by, at=_when(c.requested_at),
                  summary=c.summary))
    approver = shell_word(result.approver) if result.approver else _t("change.approver")
    click.echo(_t("change.next", directory=shell_word(str(directory)), n=c.id, approver=approver))


@cli.command(name="file")
@project_dir
@by_option
@note_option
@at_option
@handle_errors
def file_(directory: Path, by: str, note: str, at: dt.datetime | None) -> None:
    """Record PMO备案 of the approved plan: the collaboration formally starts.

    Example: xlflow file ug2024 --by "PMO 王芳"
    """
    _in_order(directory, at)
    _echo_step(api.file_project(directory, by=by, note=note, at=at), "done.file")


@cli.command()
@project_dir
@week_option
@click.option("--smtp", "smtp_address", metavar="HOST:PORT", callback=_smtp_address,
              help="Send for real through this server (default: write .eml files).")
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
@click.option("--user", default="", help="SMTP login name.")
@click.option("--password-env", default="XLFLOW_SMTP_PASSWORD", show_default=True,
              metavar="VAR", help="Environment variable holding the SMTP password "
                                  "(asked for when --user is given and it is unset).")
@click.option("--cafile", type=click.Path(dir_okay=False, exists=True),
              help="CA certificate for a mail server with a private CA.")
@click.option("--timeout", default=30.0, show_default=True, metavar="SECONDS",
              type=click.FloatRange(min=0, min_open=True),
              help="Give up on an SMTP server that does not answer within this time.")
@click.option("--from", "sender", default="", metavar="ADDR",
              help="Sender address (default: the e-mail in project.contact).")
@click.option("--department", "departments", multiple=True, metavar="NAME",
              help="Only this department (repeatable).")
@click.option("--resend", is_flag=True,
              help="Send again to departments whose message for the week went out already.")
@draft_option
@json_option
@handle_errors
def send(directory: Path, week: str | None, smtp_address: str | None, starttls: bool, user: str,
         password_env: str, cafile: str | None, timeout: float, sender: str,
         departments: tuple[str, ...], resend: bool, draft: bool, as_json: bool) -> None:
    """E-mail each department its workbook, subject and body in Chinese with the week and
    the return deadline. Default: .eml files in DIR/outbox/mail/<week>/. Each message is
    recorded in the ledger; a rerun skips the departments already sent to (--resend).

    Example: xlflow send ug2024 --week 2024-W28 --smtp smtp.example.com:587 --starttls --user pmo
    """
    settings = _smtp(smtp_address, starttls, user, password_env, cafile, timeout)
    result = api.send(directory, week=week, smtp=settings, sender=sender,
                      departments=list(departments) or None, resend=resend, draft=draft)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        for m in result.messages:
            click.echo(_t("send.message", department=m.department, to=m.to,
                          attachment=m.attachment, where=_went(m)))
        for s in result.skipped:
            click.secho(_t("send.skipped", department=s.department, to=s.to, sent_at=s.sent_at,
                           how=s.how), fg="yellow")
        _echo_issues(result.issues)
        click.echo(_t("send.summary", n=len(result.messages), week=result.week))
        if result.skipped:
            click.echo(_t("send.skipped-count", n=len(result.skipped)))
    sys.exit(int(result.exit_status))


@cli.command()
@project_dir
@click.option("--by", default="", metavar="NAME", help="Who records the acceptance "
              "(default: the initiator).")
@click.option("--conclusion", "verdict", type=click.Choice(["通过", "有条件通过", "不通过"]),
              help="验收结论 (else read from the form's 验收结论 cell).")
@click.option("--date", default=None, metavar="DATE", help="验收日期, e.g. 2024-07-31.")
@click.option("--open-items", default=None, metavar="TEXT",
              help="遗留问题 (required with 有条件通过).")
@click.option("--fix-by", default=None, metavar="DATE",
              help="整改期限 (required with 有条件通过).")
@click.option("--leader-opinion", default=None, metavar="TEXT",
              help="分管领导意见 of the approver named in project.yaml.")
@click.option("--as-of", "today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD", help="Today, for the 整改期限 check (default: today).")
@json_option
@handle_errors
def accept(directory: Path, by: str, verdict: str | None, date: str | None,
           open_items: str | None, fix_by: str | None, leader_opinion: str | None,
           today: dt.datetime | None, as_json: bool) -> None:
    """Check each expected result against its target with the values the departments
    returned, every department's confirmation and the 验收结论 (from the options or the
    form's cells, filled in at the acceptance meeting), write the 成果验收确认单, and say
    what is missing before the collaboration can close. Exit 1 while something is
    missing.

    Example: xlflow accept ug2024 --conclusion 通过 --date 2024-07-31 --leader-opinion 同意验收
    """
    result = api.accept(directory, by=by, verdict=verdict, date=date, open_items=open_items,
                        fix_by=fix_by, leader_opinion=leader_opinion,
                        today=today.date() if today else None)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        for r in result.results:
            met = {True: _t("accept.met"), False: _t("accept.not-met"), None: "—"}[r["met"]]
            who = _t("accept.who", confirmer=r["confirmer"],
                     date=r["confirm_date"]) if r["confirmer"] else ""
            click.echo(_t("accept.result", id=r["id"], name=r["name"], target=r["target"],
                          actual=r["actual_text"] or _t("accept.no-value"), met=met, who=who))
        for c in result.confirmations:
            click.echo(_t("accept.confirmation", department=c["department"],
                          who=f"{c['confirmer']} {c['date']}".strip() if c["confirmer"]
                          else _t("accept.unconfirmed")))
        c = result.conclusion
        if c.get("verdict"):
            click.echo(_t("accept.conclusion", verdict=c["verdict"], date=c["date"] or "—",
                          opinion=c["leader_opinion"] or "—"))
            if c.get("open_items") or c.get("fix_by"):
                click.echo(_t("accept.fix", items=c["open_items"] or "—",
                              fix_by=c["fix_by"] or "—"))
        _echo_issues([i for i in result.issues if not i.is_error])
        for item in result.missing:
            click.secho(f"  ✗ {item}", fg="red")
        click.echo(_t("accept.passed") if result.passed
                   else _t("accept.not-yet", n=len(result.missing)))
        click.echo(_t("wrote", path=result.path))
    sys.exit(int(result.exit_status))


@cli.command()
@project_dir
@click.option("--by", default="", metavar="NAME", help="Who records the retrospective.")
@handle_errors
def retro(directory: Path, by: str) -> None:
    """Write 跨部门合作复盘报告 (workbook and printable HTML): computed facts beside the
    successes and shortcomings the departments wrote.

    Example: xlflow retro ug2024
    """
    result = api.retro(directory, by=by)
    for label, value in result.retrospective.facts:
        click.echo(_t("retro.fact", label=label, value=value))
    for kind, items in result.retrospective.feedback.items():
        click.echo(_t("retro.feedback", kind=kind, n=len(items)))
    click.echo(_t("wrote", path=result.workbook))
    click.echo(_t("wrote", path=result.html))


@cli.command()
@project_dir
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to review.")
@json_option
@handle_errors
def review(directory: Path, month: str, as_json: bool) -> None:
    """月复盘: the month's trend per department from the ledger (slip per week, on-time
    rate, risks raised and closed), finished deliverables and open items, with charts.

    Example: xlflow review ug2024 --month 2024-07
    """
    result = api.review(directory, month=month)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    r = result.review
    click.echo(_t("review.title", month=r.month, n=len(r.weeks), weeks=", ".join(r.weeks)))
    if r.missing_weeks:
        click.echo(_t("review.missing-weeks", weeks="、".join(r.missing_weeks)))
    for dept, rates in r.to_dict()["on_time"].items():
        trend = " → ".join(percent_text(v) for v in rates.values() if v == v)
        click.echo(_t("review.on-time", department=dept, trend=trend))
    click.echo(_t("review.counts", finished=len(r.finished), tasks=len(r.open_tasks),
                  risks=len(r.open_risks)))
    click.echo(_t("wrote", path=result.path))


@cli.command(name="archive")
@project_dir
@click.option("--to", "library", required=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="LIBRARY", help="The case library folder (created if needed).")
@click.option("--by", default="", metavar="NAME", help="Who archives.")
@handle_errors
def archive_(directory: Path, library: Path, by: str) -> None:
    """Put every process file (request, plan, minutes, weekly reports, risks, acceptance,
    retrospective, returns, ledger) into one zip with an index and checksums, verify it,
    and register the case in LIBRARY. The project folder is not touched.

    Example: xlflow archive ug2024 --to ~/pmo-cases
    """
    result = api.archive(directory, to=library, by=by)
    _echo_issues(result.issues)
    click.echo(_t("archive.done", n=result.files, zip=result.zip))
    click.echo(_t("archive.sha256", case=result.case_id, version=result.version,
                  sha256=result.sha256))
    if result.skipped:
        click.secho(_t("archive.skipped", n=len(result.skipped)), fg="yellow")


@cli.command(name="cases")
@click.argument("library", type=click.Path(file_okay=False, path_type=Path))
@click.option("--search", default="", metavar="TEXT", help="Words that must all appear.")
@json_option
@handle_errors
def cases_(library: Path, search: str, as_json: bool) -> None:
    """List (and search) the past cases in a case library.

    Example: xlflow cases ~/pmo-cases --search 用户增长
    """
    found = api.cases(library, search=search)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for c in found:
        click.echo(_t("cases.case", id=c["case_id"], name=c["name"], start=c["start"],
                      end=c["end"], departments=c["departments"],
                      rate=percent_text(c["on_time_rate"]), archived=c["archived_at"][:10],
                      zip=c["zip"]))
    click.echo(_t("cases.count", n=len(found)))


@cli.command()
@click.argument("directories", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", default="资源冲突.xlsx", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The workbook to write.")
@json_option
@handle_errors
def resources(directories: tuple[Path, ...], out: Path, as_json: bool) -> None:
    """PMO resource coordination across projects: where a department (or a person) is
    committed beyond its capacity in overlapping periods, and the order by priority.

    Example: xlflow resources ug2024 crm2024 --out 资源冲突.xlsx
    """
    result = api.resources(list(directories), out=out)
    plan = result.plan
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    _echo_issues(plan.issues)
    for c in plan.conflicts:
        key = "resources.department" if c.kind == "department" else "resources.person"
        if c.kind != "person" and (c.kind == "company" or c.resource != "人力"):
            click.echo(_t("resources.other", subject=c.subject, start=c.start, end=c.end,
                          resource=c.resource + (f":{c.item}" if c.item else ""),
                          demand=_amount(c.demand, c.unit), capacity=_amount(c.capacity, c.unit),
                          proposal=c.proposal))
            continue
        click.echo(_t(key, subject=c.subject, start=c.start, end=c.end, demand=c.demand,
                      capacity=c.capacity, proposal=c.proposal))
    click.echo(_t("resources.summary", n=len(plan.conflicts), projects=len(plan.projects)))
    click.echo(_t("wrote", path=result.path))


def _amount(value: float | None, unit: str) -> str:
    """50,000 元 / 4 台 as the resources lines show them."""
    if value is None:
        return "-"
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if unit == "元" else f"{value:g}"
    return f"{text} {unit}".rstrip()


@cli.command()
@project_dir
@click.option("--drop", metavar="YYYY-Www", callback=_week,
              help="Remove this week's merge from the ledger "
              "(an audit entry is kept); merge the week again to replace it.")
@click.option("--by", default="", metavar="NAME", help="Who drops it (kept in the audit entry).")
@json_option
@handle_errors
def history(directory: Path, drop: str | None, by: str, as_json: bool) -> None:
    """List the merges recorded in the ledger: week, as-of date, files, when, version.

    Example: xlflow history ug2024
    """
    result = api.history(directory, drop=drop, by=by)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if result.dropped:
        click.echo(_t("history.dropped", week=result.dropped))
    for m in result.merges:
        click.echo(_t("history.merge", week=m.week, as_of=m.as_of, accepted=m.accepted,
                      files=m.files, run_at=_when(m.run_at), version=m.version))
    click.echo(_t("history.count", n=len(result.merges)))


@cli.command()
@project_dir
@click.option("--imap", "imap_address", required=True, metavar="HOST[:PORT]",
              callback=_imap_address,
              help="The PMO mailbox's IMAP server (port default: 993 with --tls, 143 otherwise).")
@click.option("--user", required=True, metavar="NAME", help="IMAP login name.")
@click.option("--tls", "security", flag_value="tls", default=True,
              help="Implicit TLS, port 993 (default).")
@click.option("--starttls", "security", flag_value="starttls",
              help="Plain connection upgraded with STARTTLS, port 143.")
@click.option("--no-tls", "security", flag_value="none",
              help="No encryption: only for a server on this machine (127.0.0.1, ::1, localhost).")
@click.option("--cafile", type=click.Path(dir_okay=False, exists=True),
              help="CA certificate for a mail server with a private CA.")
@click.option("--folder", default="INBOX", show_default=True, help="The folder to read.")
@click.option("--move-to", metavar="FOLDER", default="",
              help="File the messages whose attachments were saved in this folder (created if "
                   "needed). Mail is never deleted.")
@click.option("--password-env", default="XLFLOW_IMAP_PASSWORD", show_default=True,
              metavar="VAR", help="Environment variable holding the IMAP password (asked for "
                                  "on a terminal when it is unset).")
@click.option("--timeout", default=30.0, show_default=True, metavar="SECONDS",
              help="Give up on a server that does not answer within this time.")
@json_option
@handle_errors
def collect(directory: Path, imap_address: str, user: str, security: str, cafile: str | None,
            folder: str, move_to: str, password_env: str, timeout: float,
            as_json: bool) -> None:
    """Fetch the returns from the PMO mailbox: every workbook attached to mail that
    arrived since the last collect is saved in DIR/inbox/<week>/ as <department>-<sent
    time>.xlsx. A sender that is no department's e-mail goes to inbox/_unverified/
    (never merged). A message is never saved twice; mail is never deleted.

    Exit status: 0 clean, 1 something needs a look (e.g. an unknown sender), 2 usage,
    connection or login error.

    Example: xlflow collect ug2024 --imap imap.example.com --user pmo@example.com --move-to 已收
    """
    import os

    if security == "none":  # an option that does not go with --imap: before any password
        host = api.ImapSettings.parse(imap_address).host
        try:
            api.ImapSettings(host, security=api.Security.NONE)
        except XlflowError:
            raise click.UsageError(_t("no-tls-remote", host=host)) from None
    password = os.environ.get(password_env, "")
    if not password:
        if not sys.stdin.isatty():
            raise XlflowError(_t("imap-password-needed", var=password_env))
        password = click.prompt(_t("imap-password", user=user), hide_input=True, err=True)
    try:
        settings = api.ImapSettings.parse(imap_address, security=security, user=user,
                                          password=password, cafile=cafile or "",
                                          timeout=timeout, folder=folder, move_to=move_to)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--imap") from None
    result = api.collect(directory, settings)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        sys.exit(int(result.exit_status))
    click.echo(_t("collect.title", folder=result.folder, account=result.account,
                  n=len(result.messages)))
    for m in result.messages:
        who = (f"{m.department or _t('validate.unknown-department')} <{m.sender}>" if m.sender
               else m.message_id)
        saved = "、".join(f.path + ("" if f.new else _t("collect.saved-before")) for f in m.files)
        click.echo(_t("collect.message", who=who, received=m.received, subject=m.subject,
                      outcome=m.outcome)
                   + (f" → {saved}" if saved else "") + (_t("collect.moved") if m.moved else ""))
        for skipped in m.skipped:
            click.echo(_t("collect.not-saved", what=skipped))
    _echo_issues(result.issues)
    click.echo(_t("collect.summary", saved=len(result.saved), unverified=len(result.unverified)))
    if result.risk_forms:
        click.echo(_t("collect.risk-forms", n=len(result.risk_forms), dir=directory))
    sys.exit(int(result.exit_status))


@cli.command()
@project_dir
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help="Default: today.")
@json_option
@handle_errors
def risks(directory: Path, as_of: dt.date | None, as_json: bool) -> None:
    """Merge every standalone 风险应对申请表 in DIR/inbox into the risk register now, not on
    Friday: writes DIR/reports/风险登记册-<date>.xlsx (found, raised and received times;
    gaps over settings.raise_within_hours flagged), records the risks for the next weekly
    merge, and lists new 高 risks as alerts.

    Exit status: 0 clean, 1 some form had errors, 2 usage or project error.

    Example: xlflow risks ug2024
    """
    result = api.risks(directory, as_of=as_of)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        sys.exit(int(result.exit_status))
    for f in result.files:
        mark = "✓" if f.accepted else "✗"
        click.echo(_t("risks.file", mark=mark, path=f.path,
                      department=f.department or _t("validate.unknown-department"),
                      received=f.received, n=f.risks)
                   + (f" · {f.reason}" if f.reason else ""))
    _echo_issues(result.issues)
    for r in result.alerts:
        alert = _t("risks.alert", id=r.risk_id, department=r.department,
                   description=r.values.get("description") or "")
        click.secho(alert, fg="red")
    for r in result.register:
        if RiskFlag.NO_PMO_RESPONSE in r.flags:
            raised = r.values.get("raised_at")
            when = raised.isoformat(sep=" ", timespec="minutes") if raised else "—"
            click.secho(_t("risks.awaiting", id=r.risk_id, department=r.department,
                           level=r.level, raised=when), fg="yellow")
    click.echo(_t("risks.summary", n=len(result.risks), forms=len(result.files),
                  register=len(result.register), high=len(result.alerts)))
    click.echo(_t("wrote", path=result.report_path))


# -- closing the loop by e-mail: remind, notify, run ----------------------------------------


def _smtp_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--smtp and its companions, as for `xlflow send`."""
    for option in reversed((
        click.option("--smtp", "smtp_address", metavar="HOST:PORT", callback=_smtp_address,
                     help="Send for real through this server (default: write .eml files)."),
        click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS."),
        click.option("--user", default="", help="SMTP login name."),
        click.option("--password-env", default="XLFLOW_SMTP_PASSWORD", show_default=True,
                     metavar="VAR", help="Environment variable holding the SMTP password "
                                         "(asked for when --user is given and it is unset)."),
        click.option("--cafile", type=click.Path(dir_okay=False, exists=True),
                     help="CA certificate for a mail server with a private CA."),
        click.option("--timeout", default=30.0, show_default=True, metavar="SECONDS",
                     help="Give up on an SMTP server that does not answer within this time."),
        click.option("--from", "sender", default="", metavar="ADDR",
                     help="Sender address (default: the e-mail in project.contact)."),
    )):
        func = option(func)
    return func


def _smtp(smtp_address: str | None, starttls: bool, user: str, password_env: str,
          cafile: str | None, timeout: float) -> Any:
    """SmtpSettings from the options, the password as `send` gets it."""
    import os

    if not smtp_address:
        return None
    password = os.environ.get(password_env, "")
    if user and not password:
        no_password = XlflowError(_t("smtp-password-needed", var=password_env))
        if sys.stdin is None or not sys.stdin.isatty():
            raise no_password
        try:
            password = click.prompt(_t("smtp-password", user=user), hide_input=True, err=True)
        except click.Abort:
            raise no_password from None
    try:
        return api.SmtpSettings.parse(smtp_address, starttls=starttls, user=user,
                                      password=password, cafile=cafile or "", timeout=timeout)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--smtp") from None


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            return parse(value)
        except ValueError:
            pass
    raise click.BadParameter(_t("not-a-moment", value=value)) from None


@cli.command()
@project_dir
@click.option("--week", metavar="YYYY-Www", callback=_week,
              help="The week whose returns are chased (default: "
              "the latest built week whose return deadline has passed).")
@click.option("--as-of", callback=_moment, metavar="YYYY-MM-DD[THH:MM]",
              help="The moment the reminders are about; a date alone is the start of that day "
                   "(default: now).")
@_smtp_options
@json_option
@handle_errors
def remind(directory: Path, week: str | None, as_of: Any, smtp_address: str | None,
           starttls: bool, user: str, password_env: str, cafile: str | None, timeout: float,
           sender: str, as_json: bool) -> None:
    """E-mail each department exactly what it still owes: its return after the deadline,
    forecast dates of late tasks, owners and deadlines of risks, overdue 高 risks, with its
    workbook attached again. Late enough, the department head and then the 分管副总 are
    copied (settings.remind_cc_*_after_hours). A rerun the same day sends nothing new.

    Example: xlflow remind ug2024 --as-of 2024-07-15
    """
    settings = _smtp(smtp_address, starttls, user, password_env, cafile, timeout)
    result = api.remind(directory, week=week, as_of=as_of, smtp=settings, sender=sender)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        sys.exit(int(result.exit_status))
    if not result.due:
        click.echo(_t("remind.not-due", week=result.week, deadline=result.deadline))
    for d in result.pending:
        click.echo(_t("remind.pending", department=d))
    for r in result.reminders:
        cc = _t("remind.cc", addresses=_t("list-sep").join(r.cc)) if r.cc else ""
        where = _t("remind.already")
        if r.new:
            where = _went(r)
        click.echo(_t("remind.reminder", department=r.department, to=r.to, cc=cc,
                      n=len(r.items), where=where))
        for item in r.items:
            click.echo(_t("remind.item", text=item.text))
    _echo_issues(result.issues)
    click.echo(_t("remind.summary", n=len(result.new), week=result.week,
                  as_of=_when(result.as_of.isoformat())))
    sys.exit(int(result.exit_status))


@cli.command()
@project_dir
@click.option("--week", metavar="YYYY-Www", callback=_week,
              help="The merged week (default: the latest merge).")
@click.option("--to", "to", multiple=True, metavar="ADDR",
              help="Send to this address instead of the leaders in project.yaml (repeatable).")
@_smtp_options
@json_option
@handle_errors
def notify(directory: Path, week: str | None, to: tuple[str, ...], smtp_address: str | None,
           starttls: bool, user: str, password_env: str, cafile: str | None, timeout: float,
           sender: str, as_json: bool) -> None:
    """E-mail the week's notice to the leaders (project.approver_email and the initiating
    department's head): key figures, late tasks, open 高 risks and charts in Chinese HTML,
    a plain-text alternative, the consolidated workbook attached.

    Example: xlflow notify ug2024 --week 2024-W28
    """
    for address in to:
        if "@" not in address:
            raise click.BadParameter(_t("not-an-address", value=address), param_hint="--to")
    settings = _smtp(smtp_address, starttls, user, password_env, cafile, timeout)
    result = api.notify(directory, week=week, to=list(to) or None, smtp=settings, sender=sender)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        sys.exit(int(result.exit_status))
    click.echo(_t("notify.to", to=_t("list-sep").join(result.to)))
    click.echo(_t("notify.subject", subject=result.subject))
    click.echo(_t("notify.figures", figures=" · ".join(f"{k} {v}" for k, v in result.notice.figures)))
    click.echo(_t("notify.charts", charts="、".join(result.charts) or _t("notify.no-charts"),
                  attachment=result.attachment))
    _echo_issues(result.issues)
    click.echo(_t("notify.done", week=result.week, where=_went(result)))
    sys.exit(int(result.exit_status))


@cli.command(name="run")
@project_dir
@click.option("--today", callback=_moment, metavar="YYYY-MM-DD",
              help="Act as on this day, at its start (default: now).")
@_smtp_options
@click.option("--imap", "imap_address", metavar="HOST:PORT", callback=_imap_address,
              help="Collect returns from this mailbox first (when this xlflow has `collect`).")
@click.option("--imap-user", default="", help="IMAP login name.")
@click.option("--imap-password-env", default="XLFLOW_IMAP_PASSWORD", show_default=True,
              metavar="VAR", help="Environment variable holding the IMAP password.")
@handle_errors
def run_(directory: Path, today: Any, smtp_address: str | None, starttls: bool, user: str,
         password_env: str, cafile: str | None, timeout: float, sender: str,
         imap_address: str | None, imap_user: str, imap_password_env: str) -> None:
    """Do what is due today, once, for a scheduler: Monday build + send; every day
    collect, risks and remind; from the return weekday merge + notify. A second run the
    same day does nothing new. Exit 0 clean, 1 input problems, 2 a step failed.

    Example: xlflow run ug2024 --smtp smtp.example.com:587 --starttls --user pmo
    """
    import os

    imap = None
    if imap_address:
        parse = getattr(getattr(api, "ImapSettings", None), "parse", None)
        if parse is None:
            raise click.BadParameter(_t("imap-unavailable"), param_hint="--imap")
        imap = parse(imap_address, user=imap_user,
                     password=os.environ.get(imap_password_env, ""))
    settings = _smtp(smtp_address, starttls, user, password_env, cafile, timeout)
    result = api.run(directory, today=today, smtp=settings, imap=imap, sender=sender)
    for step in result.steps:
        mark = "✗" if step.error else ("✓" if step.done else "·")
        name = _t(f"run.{step.name}") if f"run.{step.name}" in texts.TEXTS else step.name
        click.echo(_t("run.step", mark=mark, name=name, note=step.error or step.note))
        _echo_issues(step.issues)
    done = sum(s.done for s in result.steps)
    click.echo(_t("run.summary", today=result.today, week=result.week, n=done))
    sys.exit(int(result.exit_status))


@cli.command()
@click.argument("directories", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="The workbook to write (default: ./项目组合-<as-of date>.xlsx).")
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD",
              help="The date the phases and overdue risks are judged at (default: today).")
@click.option("--headers", type=click.Choice(["bilingual", "zh", "en"]),
              help="Header language of the workbook (default: the first project's "
                   "settings.headers).")
@json_option
@handle_errors
def portfolio(directories: tuple[Path, ...], out: Path | None, as_of: dt.date | None,
              headers: str | None, as_json: bool) -> None:
    """One workbook over many projects (项目组合), for a PMO running several at once:
    phase, last merge, slip, forecast end, open 高 risks, missing returns, department
    load per week across projects; ordered by priority. Reads only.

    Example: xlflow portfolio ug2024 crm2024 --as-of 2024-07-12
    """
    result = api.portfolio(list(directories), out=out, as_of=as_of, headers=headers)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        sys.exit(int(result.exit_status))
    _echo_issues(result.issues)
    for p in result.projects:
        if not p.merged:
            click.echo(_t("portfolio.unmerged", id=p.project_id, name=p.name,
                          priority=p.priority, phase=p.phase))
            continue
        missing = (_t("portfolio.missing", departments="、".join(p.missing_returns))
                   if p.missing_returns else "")
        click.echo(_t("portfolio.project", id=p.project_id, name=p.name, priority=p.priority,
                      phase=p.phase, merge=_t("portfolio.merge", week=p.last_week,
                                              rate=percent_text(p.on_time_rate)),
                      outlook=p.outlook, late=len(p.late_tasks), high=len(p.open_high_risks),
                      missing=missing))
    for w in result.overloaded:
        click.echo(_t("portfolio.over", department=w.department, week=w.week, total=w.total,
                      capacity=w.capacity))
    click.echo(_t("portfolio.summary", n=len(result.projects), high=len(result.risks),
                  over=len(result.overloaded), skipped=len(result.skipped)))
    click.echo(_t("wrote", path=result.path))
    sys.exit(int(result.exit_status))


@cli.command()
@project_dir
@week_option
@click.option("--no-pdf", is_flag=True, help="Write the workbook and the HTML page only.")
@json_option
@handle_errors
def meeting(directory: Path, week: str | None, no_pdf: bool, as_json: bool) -> None:
    """周例会: the agenda from the week's merge (late tasks, open 高/中 risks, 需协调事项,
    missing returns, open 督办事项) and a 会议纪要 sheet to fill after the meeting; drop
    the filled file into inbox/ and the next merge tracks each row as an action item.

    Example: xlflow meeting ug2024 --week 2024-W28
    """
    result = api.meeting(directory, week=week, pdf=not no_pdf)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    a = result.agenda
    overdue = sum(a.overdue(i) for i in a.actions)
    click.echo(_t("meeting.agenda", week=a.week, host=a.host, late=len(a.late),
                  risks=len(a.risks), asks=len(a.coordination), missing=len(a.missing),
                  actions=len(a.actions), overdue=overdue))
    for path in (result.workbook, result.html, result.pdf):
        if path is not None:
            click.echo(_t("wrote", path=path))
    click.echo(_t("meeting.next"))

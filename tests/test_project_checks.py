"""project.yaml is checked at load: names, ids, ranges, typos, each error naming the
line and the field; and loading stays linear in the number of tasks."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from xlflow import api
from xlflow._files import safe_name
from xlflow.errors import ProjectError
from xlflow.project import load_project

BASE = """\
project:
  id: UG-2024Q3
  name: 用户增长活动
  priority: 高
  initiating_department: 产品部
  initiator: 张伟
  contact: 0755123456
  start: 2024-07-01
  end: 2024-07-30
  background: 用户增长放缓
  goals: 新增用户10万
departments:
  - {name: 产品部, code: PRD, email: prd@example.com}
  - {name: 技术部, code: TEC, email: tec@example.com}
milestones:
  - {id: M1, name: 需求确认, date: 2024-07-05}
expected_results:
  - {id: R1, name: 新增用户, target: ">= 100000", unit: 人, department: 产品部}
tasks:
  - {id: T01, department: 产品部, role: 产品经理, duty: 需求, deliverable: 文档, due: 2024-07-05, owner: 张伟, milestone: M1}
  - {id: T02, department: 技术部, role: 开发, duty: 开发, deliverable: 页面, due: 2024-07-12, owner: 陈杰}
settings:
  late_window_days: 90
"""
DEPT_2 = "  - {name: 技术部, code: TEC, email: tec@example.com}\n"  # line 14
TASK_2 = ("  - {id: T02, department: 技术部, role: 开发, duty: 开发, deliverable: 页面, "
          "due: 2024-07-12, owner: 陈杰}\n")  # line 21


def _project(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "p"
    root.mkdir(exist_ok=True)
    (root / "project.yaml").write_text(text, encoding="utf-8")
    return root


def _edited(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def _dept(name: str, code: str = "RD") -> str:
    return f"  - {{name: {name}, code: {code}}}\n"


def test_base_loads_and_keeps_what_was_typed(tmp_path: Path) -> None:
    p = load_project(_project(tmp_path, BASE))
    assert p.contact == "0755123456"  # YAML 1.1 would read an octal number
    assert [t.id for t in p.tasks_of("技术部")] == ["T02"]
    assert p.department("技术部").code == "TEC"


@pytest.mark.parametrize("old, new, line, fragment", [
    # the same department twice, after NFKC and case folding
    (DEPT_2, _dept("研发1部") + _dept("研发１部", "RD2"), 15,
     "departments[2].name: '研发１部' 与第 14 行的 '研发1部' 是同一部门"),
    (DEPT_2, _dept("Sales") + _dept("sales", "RD2"), 15, "的 'Sales' 是同一部门"),
    # names that become the same file name
    (DEPT_2, _dept("技术/部") + _dept("技术:部", "RD2"), 15,
     "'技术:部' 在文件名中变为 '技术_部',与 '技术/部'(第 14 行)相同"),
    (DEPT_2, _dept("X") + _dept("X.", "RD2"), 15, "'X.' 在文件名中变为 'X'"),
    (DEPT_2, _dept("A" * 80 + "1") + _dept("A" * 80 + "2", "RD2"), 15,
     f"在文件名中变为 '{'A' * 80}'"),
    (DEPT_2, _dept("PMO总表"), 14, "与 PMO 总表"),
    # a file name longer than file systems take (76 Chinese characters)
    (DEPT_2, _dept("研" * 76), 14, "departments[1].name: 作为文件名太长"),
    (DEPT_2, _dept("'\"增长\"组'"), 14, "双引号会破坏工作簿中的下拉列表"),
    # control characters where text ends up in a file name, a mail header or a cell
    (DEPT_2, _dept('"研发\\t部"'), 14, "departments[1].name: 含有制表符"),
    ("  name: 用户增长活动", '  name: "用户\\n增长"', 3, "project.name: 含有换行"),
    ("  initiator: 张伟", '  initiator: "张\\r伟"', 6, "含有回车符"),
    ("owner: 陈杰}", 'owner: "陈\\0杰"}', 21, "tasks[1].owner: 含有控制字符 U+0000"),
    ("  goals: 新增用户10万", '  goals: "新增\\x07用户"', 11, "U+0007"),
    # ids: letters, digits, - and _
    ("{id: T02,", "{id: 'T\"02',", 21, "tasks[1].id: 'T\"02': 只能用字母、数字、- 和 _"),
    ("{id: T02,", "{id: T 02,", 21, "tasks[1].id: 'T 02': 只能用字母"),
    ("{id: T02,", "{id: 任务2,", 21, "tasks[1].id: '任务2'"),
    ("{id: T02,", "{id: t01,", 21, "tasks[1].id: 任务编号 'T01' 重复(首次在第 20 行)"),
    ("  id: UG-2024Q3", "  id: UG/2024", 2, "project.id: 'UG/2024': 只能用字母"),
    # YAML booleans and numbers where a name is expected
    (DEPT_2, _dept("yes"), 14, 'departments[1].name: YAML 把 yes 读作true/false;'
     '请加引号:name: "yes"'),
    ("owner: 陈杰}", "owner: no}", 21, "tasks[1].owner: YAML 把 no 读作true/false"),
    ("name: 需求确认,", "name: 2024,", 16, "milestones[0].name: YAML 把 2024 读作数字"),
    ("{id: T02,", "{id: 2,", 21, '请加引号:id: "2"'),
    # unknown keys, with a suggestion
    ("expected_results:", "expected_result:", 17,
     "expected_result: 未知字段(是否想写 'expected_results'?"),
    ("due: 2024-07-12,", "duee: 2024-07-12,", 21, "tasks[1].duee: 未知字段(是否想写 'due'?"),
    ("  initiator: 张伟", "  inititor: 张伟", 6, "project.inititor: 未知字段(是否想写 'initiator'?"),
    ("email: tec@example.com}", "emial: tec@example.com}", 14, "是否想写 'email'?"),
    ("  late_window_days: 90", "  late_window_day: 90", 23, "是否想写 'late_window_days'?"),
    # duplicate ids
    ('department: 产品部}\n', 'department: 产品部}\n  - {id: r1, name: 转化率, target: ">= 15%"}\n',
     19, "expected_results[1].id: 成果编号 'R1' 重复(首次在第 18 行)"),
    ("date: 2024-07-05}\n", "date: 2024-07-05}\n  - {id: M1, name: 上线, date: 2024-07-15}\n", 17,
     "milestones[1].id: 里程碑 'M1' 重复(首次在第 16 行)"),
    # references, with a suggestion
    ("department: 技术部, role", "department: 技朮部, role", 21,
     "tasks[1].department: '技朮部' 不在 departments 中(是否想写 '技术部'?"),
    ("owner: 陈杰}", "owner: 陈杰, milestone: M2}", 21,
     "tasks[1].milestone: 'M2' 不是里程碑编号(应为其中之一:M1)"),
    ("owner: 陈杰}", "owner: 陈杰, milestone: M11}", 21, "'M11' 不是里程碑编号(是否想写 'M1'?"),
    ("settings:", "opinions:\n  - {department: 法务部, by: 王, opinion: 同意}\nsettings:", 23,
     "opinions[0].department: '法务部' 不在 departments 中"),
    # e-mail addresses
    ("tec@example.com}", "tec@example}", 14, "departments[1].email: 'tec@example' 的域名"),
    ("tec@example.com}", "'tec@example.com, ops@example.com'}", 14, "不是邮箱地址"),
    ("tec@example.com}", "'技术 <tec@example.com>'}", 14, "不是邮箱地址"),
    # ranges instead of OverflowError
    ("  start: 2024-07-01", "  start: 0001-01-01", 8, "project.start: 0001-01-01 超出范围"
     "(应为 2000–2100 年间的日期)"),
    ("  end: 2024-07-30", "  end: 9999-12-31", 9, "project.end: 9999-12-31 超出范围"),
    ("due: 2024-07-12,", "due: 9999-12-31,", 21, "tasks[1].due: 9999-12-31 超出范围"),
    ("  late_window_days: 90", "  late_window_days: 99999999999", 23,
     "settings.late_window_days: 99999999999 超出范围(应为 0 到 3650 的整数)"),
    ("  late_window_days: 90", "  holidays:\n    - 2024-07-03\n    - 0001-01-01", 25,
     "settings.holidays[1]: 0001-01-01 超出范围"),
    ("  late_window_days: 90", "  raise_within_hours: 1e400", 23, "settings.raise_within_hours"),
    ("settings:", "resources:\n  - {department: 技术部, item: 工程师, quantity: .inf}\nsettings:", 23,
     "resources[0].quantity: .inf 超出范围(应为 >= 0 的数字)"),
    ("settings:", "resources:\n  - {department: 技术部, item: 工程师, quantity: -1}\nsettings:", 23,
     "resources[0].quantity: -1 超出范围"),
    ('target: ">= 100000"', f'target: ">= 1{"0" * 400}"', 18, "expected_results[0].target:"),
    # project.yaml's own spec_overrides, with a suggestion
    ("settings:", "spec_overrides:\n  risk: {}\nsettings:", 23,
     "spec_overrides: 未知模板 'risk'(是否想写 'risks'?"),
])
def test_refused_at_load_with_line_and_field(tmp_path: Path, old: str, new: str, line: int,
                                             fragment: str) -> None:
    root = _project(tmp_path, _edited(old, new))
    with pytest.raises(ProjectError) as exc:
        load_project(root)
    message = str(exc.value)
    assert f"project.yaml:{line}: " in message, message
    assert fragment in message, message


@pytest.mark.parametrize("text, fragment", [
    ("", "project.yaml:1: 文件是空的"),
    ("- a\n- b\n", "应为字段映射"),
    ("project: " + "[" * 5000 + "]" * 5000 + "\n", "project.yaml:"),
    ("project: {id: A, id: B}\n", "project.yaml:1: 重复的键 'id'"),
])
def test_malformed_files_are_project_errors(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ProjectError, match=fragment):
        load_project(_project(tmp_path, text))


def test_references_resolve_to_the_listed_name(tmp_path: Path) -> None:
    text = (_edited(DEPT_2, _dept("研发1部"))
            .replace("department: 技术部, role", "department: 研发１部, role")
            .replace("{id: T02,", "{id: Ｔ０２,")
            .replace("  background: 用户增长放缓", '  background: "第一行\\n第二行\\t完"'))
    p = load_project(_project(tmp_path, text))
    assert [(t.id, t.department) for t in p.tasks] == [("T01", "产品部"), ("T02", "研发1部")]
    assert p.tasks_of("研发1部")[0].id == "T02"
    assert p.background == "第一行\n第二行\t完"


def test_a_long_department_name_is_refused_before_any_file_is_written(tmp_path: Path) -> None:
    """76 Chinese characters used to fail mid-build with `OSError: File name too long`;
    72 still fit beside project id UG-2024Q3 (the temporary file is the longest name)."""
    fits = _project(tmp_path, _edited(DEPT_2, DEPT_2 + _dept("研" * 72)))
    built = api.build(fits, week="2024-W28", draft=True)
    assert len(built.departments["研" * 72].name.encode()) == 9 + 10 + 216 + 5
    (fits / "project.yaml").write_text(_edited(DEPT_2, DEPT_2 + _dept("研" * 73)),
                                       encoding="utf-8")
    with pytest.raises(ProjectError, match=r"项目编号为 'UG-2024Q3' 时,部门名最多 217 "
                                           r"字节,即 72 个汉字"):
        api.build(fits, week="2024-W29")
    assert not (fits / "outbox" / "2024-W29").exists()


@pytest.mark.parametrize("text, expected", [
    ("技术部", "技术部"),
    ("技术/部", "技术_部"),
    ("a\\b:c*d?e\"f<g>h|i", "a_b_c_d_e_f_g_h_i"),
    ("tab\there\x7f", "tab_here_"),
    ("X.", "X"),
    (" .hidden. ", "hidden"),
    ("..", "_"),
    ("", "_"),
    ("CON", "CON_"),
    ("con.xlsx", "con_.xlsx"),
    ("NUL ", "NUL_"),
    ("Com1.tar.gz", "Com1_.tar.gz"),
    ("LPT¹", "LPT¹_"),
    ("COM10", "COM10"),
    ("CONSOLE", "CONSOLE"),
    ("A" * 79 + ".B", "A" * 79),
])
def test_safe_name_is_safe_on_ntfs(text: str, expected: str) -> None:
    assert safe_name(text) == expected


def _write_tasks(root: Path, n: int, extra: str = "") -> None:
    lines = [BASE.split("tasks:\n")[0], "tasks:\n"]
    lines += [f"  - {{id: T{i:05d}, department: {'技术部' if i % 2 else '产品部'}, role: 开发, "
              f"duty: 第{i}项, deliverable: 交付{i}, due: 2024-07-{1 + i % 28:02d}, owner: 员工{i}, "
              f"milestone: M1}}\n" for i in range(n)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "project.yaml").write_text("".join(lines) + extra, encoding="utf-8")


def test_a_duplicate_among_20000_tasks_is_found_on_its_line(tmp_path: Path) -> None:
    first_task_line = BASE.split("tasks:\n")[0].count("\n") + 2
    root = tmp_path / "big"
    _write_tasks(root, 20000, "  - {id: T00007, department: 技术部, role: 开发, duty: 重复, "
                 "deliverable: 重复, due: 2024-07-09, owner: 员工, milestone: M1}\n")
    with pytest.raises(ProjectError) as exc:
        load_project(root)
    assert (f"project.yaml:{first_task_line + 20000}: tasks[20000].id: 任务编号 'T00007' 重复"
            f"(首次在第 {first_task_line + 7} 行)") in str(exc.value)
    _write_tasks(root, 20000)
    p = load_project(root)
    assert len(p.tasks) == 20000 and len(p.tasks_of("技术部")) == 10000
    assert p.task_map["T19999"].due == dt.date(2024, 7, 1 + 19999 % 28)


def _calls_while_loading(root: Path) -> int:
    """Python and C function calls made by load_project: a count, not a time, so the
    test means the same on a busy machine."""
    calls = 0

    def count(frame, event, arg) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        load_project(root)
    finally:
        sys.setprofile(None)
    return calls


def test_loading_work_grows_linearly_with_the_tasks(tmp_path: Path) -> None:
    """Four times the tasks, at most about four times the calls. A check that scans the
    tasks seen so far (``any(t.id == tid for t in out)``) made it ~10x here."""
    _write_tasks(tmp_path / "small", 500)
    _write_tasks(tmp_path / "large", 2000)
    small = _calls_while_loading(tmp_path / "small")
    large = _calls_while_loading(tmp_path / "large")
    assert large < 4.4 * small, (small, large)


def _leaves(node: object, path: tuple = ()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list) and node:  # the first item stands for the others
        yield from _leaves(node[0], (*path, 0))
    yield path


HOSTILE = [None, {}, [1], True, 10**400, -1, float("nan"), "\x00", "", dt.date(1, 1, 1),
           dt.date(9999, 12, 31)]


def test_any_field_set_to_anything_is_a_project_error_or_loads(tmp_path: Path) -> None:
    """Every field of the example, in turn, set to a hostile value: load_project either
    accepts it or raises ProjectError; never an internal error (TypeError, OverflowError)."""
    import copy

    import yaml

    base = yaml.safe_load((Path(api.__file__).parent / "examples" / "user-growth.yaml")
                          .read_text(encoding="utf-8"))
    root = tmp_path / "p"
    root.mkdir()
    refused = 0
    for path in _leaves(base):
        for value in HOSTILE if path else ():
            data = copy.deepcopy(base)
            holder = data
            for key in path[:-1]:
                holder = holder[key]
            holder[path[-1]] = value
            (root / "project.yaml").write_text(
                yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True), encoding="utf-8")
            try:
                load_project(root)
            except ProjectError:
                refused += 1
    assert refused > 300

"""Units of resources: people, money (converted to 元) and equipment (kept as written).

A resource's kind follows from its unit unless project.yaml names it: 名/人 are people,
元/万元 are money, anything else is equipment counted in its own unit.
"""

from __future__ import annotations

from .model.vocab import ResourceKind

PEOPLE_UNITS = ("名", "人", "位", "个人", "people", "person", "persons")
#: money units and their value in 元
MONEY_UNITS = {"元": 1.0, "人民币": 1.0, "rmb": 1.0, "cny": 1.0, "千元": 1_000.0,
               "万元": 10_000.0, "十万元": 100_000.0, "百万元": 1_000_000.0,
               "千万元": 10_000_000.0, "亿元": 100_000_000.0}


def _key(unit: str) -> str:
    return unit.strip().lower()


def is_people_unit(unit: str) -> bool:
    return _key(unit) in PEOPLE_UNITS


def is_money_unit(unit: str) -> bool:
    return _key(unit) in MONEY_UNITS


def infer_kind(unit: str) -> ResourceKind:
    """名/人 → 人力, 元/万元 → 预算, anything else (台, 套, or no unit) → 设备."""
    if is_people_unit(unit):
        return ResourceKind.PEOPLE
    if is_money_unit(unit):
        return ResourceKind.BUDGET
    return ResourceKind.EQUIPMENT


def to_yuan(quantity: float, unit: str) -> float:
    """An amount of money in 元 (万元 × 10,000); the unit must be a money unit."""
    return quantity * MONEY_UNITS[_key(unit) or "元"]


def canonical_unit(kind: ResourceKind, unit: str) -> str:
    """The unit quantities of a kind are compared in: 名 for people, 元 for money, the
    equipment's own unit (台 and 套 are not comparable)."""
    if kind is ResourceKind.PEOPLE:
        return "名"
    if kind is ResourceKind.BUDGET:
        return "元"
    return unit.strip()


def money_text(yuan: float) -> str:
    """50,000 元; cents only when there are any."""
    return f"{yuan:,.0f} 元" if float(yuan).is_integer() else f"{yuan:,.2f} 元"

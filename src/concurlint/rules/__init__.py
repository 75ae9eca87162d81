"""The rule registry: every rule class of every family, by code."""
from __future__ import annotations

from typing import Dict, List, Type

from .base import Rule
from . import tool, blocking

_FAMILY_MODULES = [tool, blocking]
for _optional in ("coroutines", "threads", "backpressure", "timeouts", "exceptions", "resources"):
    try:  # families land one at a time; a missing module is simply not registered yet
        _FAMILY_MODULES.append(__import__(f"{__name__}.{_optional}", fromlist=["RULES"]))
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a family is absent
        if exc.name != f"{__name__}.{_optional}":
            raise

ALL_RULES: Dict[str, Type[Rule]] = {}
for _module in _FAMILY_MODULES:
    for _rule in _module.RULES:  # type: ignore[attr-defined]
        if _rule.code in ALL_RULES:  # pragma: no cover - a programming error
            raise RuntimeError(f"duplicate rule code {_rule.code}")
        ALL_RULES[_rule.code] = _rule
ALL_RULES = dict(sorted(ALL_RULES.items()))

from ..catalog import FAMILIES, rule_name  # noqa: E402  (light facts shared with config)


def visiting_rules() -> List[Type[Rule]]:
    """Rules that inspect code (the CCY0 rules are reported by the engine itself)."""
    return [r for r in ALL_RULES.values() if not r.code.startswith("CCY0")]


__all__ = ["ALL_RULES", "FAMILIES", "Rule", "rule_name", "visiting_rules"]

"""CCY1: coroutines and tasks (unawaited coroutines, dangling tasks, nested loops...).

This package only registers the family's rules, in the order of ``RULES``; each module
beside it owns one concept, and ``common.py`` holds the coroutine facts they share.
"""
from __future__ import annotations

from .coroutine_objects import CoroutineFunctionNotCalled, CoroutineInBooleanContext, UnawaitedCoroutine
from .tasks import DanglingTask
from .event_loops import GetEventLoopInCoroutine, LegacyEventLoopManagement, NestedEventLoop
from .context_managers import WrongWithKind
from .awaits import BusyLoopWithoutAwait, SequentialAwaitsInLoop

RULES = [
    UnawaitedCoroutine, CoroutineFunctionNotCalled, DanglingTask, CoroutineInBooleanContext,
    NestedEventLoop, WrongWithKind, GetEventLoopInCoroutine, LegacyEventLoopManagement,
    SequentialAwaitsInLoop, BusyLoopWithoutAwait,
]

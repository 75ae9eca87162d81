"""CCY3: threads, processes and shared state.

The facts about *which code runs in another thread* come from
``semantics/threads/`` (one lazy pre-pass per module); the rules here look at
single statements and calls and ask those facts. This package only registers the
family's rules, in the order of ``RULES``; each module beside it owns one concept.
"""
from __future__ import annotations

from .shared_state import UnprotectedSharedMutation
from .targets import CallableCalledInsteadOfPassed, ThreadRunInsteadOfStart
from .lifecycle import DaemonThreadNotJoined, QueueJoinWithoutTaskDone
from .locks import LockAcquireWithoutRelease
from .await_state import ReadModifyWriteAcrossAwait
from .processes import ProcessStartWithoutMainGuard, UnpicklableProcessCallable
from .loops import AsyncioCallFromThread

RULES = [
    UnprotectedSharedMutation,
    CallableCalledInsteadOfPassed,
    ThreadRunInsteadOfStart,
    DaemonThreadNotJoined,
    LockAcquireWithoutRelease,
    ReadModifyWriteAcrossAwait,
    QueueJoinWithoutTaskDone,
    ProcessStartWithoutMainGuard,
    UnpicklableProcessCallable,
    AsyncioCallFromThread,
]

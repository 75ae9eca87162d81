"""CCY6: exceptions and cancellation (swallowed errors, lost task exceptions).

This package only registers the family's rules, in the order of ``RULES``; each module
beside it owns one concept.
"""
from __future__ import annotations

from .gather import GatherExceptionsSwallowed
from .cancellation import CancellationSwallowed
from .futures import TaskExceptionNeverRetrieved, ExecutorFutureDiscarded

RULES = [GatherExceptionsSwallowed, CancellationSwallowed, TaskExceptionNeverRetrieved, ExecutorFutureDiscarded]

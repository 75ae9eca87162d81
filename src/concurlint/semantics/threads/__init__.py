"""Which code runs in other threads (or processes), and what holds a lock.

``thread_targets(ctx)`` answers "does this function run in a thread?" for every
function of a module. Targets are often defined before the call that starts them,
so the answer needs a per-module pre-pass: one cheap iterative scan of the module
(computed lazily, once, cached in ``ctx.memo``) that records

- start sites: ``threading.Thread(target=f)``, ``Timer(t, f)``, ``executor.submit(f)``
  / ``map(f, ...)`` of a thread or process pool, ``asyncio.to_thread(f)``,
  ``loop.run_in_executor(ex, f)``, ``multiprocessing.Process(target=f)``, pool methods;
- ``Thread`` / ``Process`` subclasses (their ``run`` is a target);
- same-module call edges (``f()``, ``self.m()``, ``cls.m()``, ``Cls.m()``), each marked
  protected when the call is lexically inside ``with <lock>:`` or after ``acquire()``;
- method calls by name (``.join()``, ``.get()``, ``.task_done()`` ...) for rules that
  connect uses across functions.

Then thread (and process) context is the set of functions reachable from the
targets through *unprotected* call edges: a helper whose every call site holds a
lock is therefore protected. The walk does not enter an ``async def`` from sync code
(the call only makes a coroutine object), except where the caller runs an event loop
itself: those coroutines run in the thread, on its own loop (``Origin.own_loop``). ``functools.partial(f, ...)`` and ``lambda: f(...)``
wrappers lead to ``f``.

The lock helpers (``is_lock``, ``is_protected``) are shared by CCY301, CCY305 and
CCY306: a lock is a ``threading``/``asyncio``/``multiprocessing`` primitive by
construction or a name matching ``Settings.lock_name_pattern`` on its last part.

This package's ``__init__`` is the interface the rules use; the analysis is split by
concept: ``targets`` (the entry points and their cheap gates), ``scanner`` (the per-module
pre-pass), ``model`` (what it records), ``locks``, ``calls`` (arguments and labels of a start
site) and ``coroutines`` (the facts CCY306 needs).
"""
from __future__ import annotations

from ...apis.threads import PROCESS, THREAD
from .common import FunctionNode, last_name
from .locks import lock_name_matches, is_lock, is_protected, in_loop
from .model import StartSite, Edge, FunctionInfo, MethodCall, Origin, ThreadTargets
from .targets import thread_targets, thread_targets_with_sites, may_start_threads
from .calls import (
    positional, keyword, callable_argument, callable_arg_node, site_label, line_of, function_name,
    describe_origin, walk_expression, code_excerpt, guessed_starter, LOOP_NAME,
)
from .coroutines import StateKey, Concurrency, CoroutineFacts, coroutine_facts, state_key, state_root

__all__ = [
    "PROCESS", "THREAD", "FunctionNode", "last_name", "lock_name_matches", "is_lock", "is_protected",
    "in_loop", "StartSite", "Edge", "FunctionInfo", "MethodCall", "Origin", "ThreadTargets",
    "thread_targets", "thread_targets_with_sites", "may_start_threads", "positional", "keyword",
    "callable_argument", "callable_arg_node", "site_label", "line_of", "function_name", "describe_origin",
    "walk_expression", "code_excerpt", "guessed_starter", "LOOP_NAME", "StateKey", "Concurrency",
    "CoroutineFacts", "coroutine_facts", "state_key",
    "state_root",
]

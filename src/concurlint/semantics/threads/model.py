"""The records of the per-module pre-pass: start sites, call edges, per-function facts,
method calls by name, the ``Origin`` of thread context, and ``ThreadTargets`` (the result,
with its walk from targets through unprotected call edges).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple, Union

import libcst as cst

from ...findings import Text
from ..context import Context
from ..scopes import Scope
from .common import FunctionNode


# --------------------------------------------------------------------------- facts
@dataclass
class StartSite:
    """A place that hands a callable to another thread or process."""

    node: Union[cst.Call, cst.ClassDef]
    kind: str  # THREAD or PROCESS (LATER sites are not recorded)
    label: Union[str, Text]  # e.g. "Thread(target=inc)" or "Thread subclass 'Worker'"
    function: Optional[FunctionNode]  # where the start happens (None: module level)
    repeated: bool  # inside a loop/comprehension: several threads run the target
    callable_expr: Optional[cst.BaseExpression] = None
    targets: List[FunctionNode] = field(default_factory=list)
    # arguments handed to the target: (position or keyword, expression, same object for every
    # thread this site starts)
    passed: List[Tuple[Union[int, str], cst.BaseExpression, bool]] = field(default_factory=list)


@dataclass
class Edge:
    caller: Optional[FunctionNode]
    callee: FunctionNode
    call: cst.Call
    protected: bool
    # a method called on an object the caller just made (`h = Handler(); h.run()`):
    # that object's state belongs to the calling thread
    fresh: bool = False


@dataclass
class FunctionInfo:
    node: FunctionNode
    scope: Scope
    parent: Optional[FunctionNode]
    class_scope: Optional[Scope]  # for methods: their class

    @property
    def name(self) -> str:
        return self.node.name.value if isinstance(self.node, cst.FunctionDef) else "<lambda>"


@dataclass
class MethodCall:
    call: cst.Call
    receiver: cst.BaseExpression
    scope: Scope
    function: Optional[FunctionNode]
    loop_iter: Optional[cst.BaseExpression]  # `for t in threads: t.join()` -> threads


@dataclass
class Origin:
    """Why a function runs in a thread: the start site and the first function on the way."""

    site: StartSite
    root: FunctionNode
    via: Optional[FunctionNode] = None  # the caller that leads here (None for the target itself)
    # reached through coroutines that the thread runs on an event loop of its own
    # (`asyncio.run(main())` in the target): that loop belongs to this thread
    own_loop: bool = False


@dataclass
class ThreadTargets:
    functions: Dict[FunctionNode, FunctionInfo] = field(default_factory=dict)
    classes: Dict[cst.ClassDef, Scope] = field(default_factory=dict)
    sites: List[StartSite] = field(default_factory=list)
    edges: List[Edge] = field(default_factory=list)
    method_calls: Dict[str, List[MethodCall]] = field(default_factory=dict)
    # class node -> THREAD / PROCESS for Thread / Process subclasses (local, transitively)
    runnable_classes: Dict[cst.ClassDef, str] = field(default_factory=dict)
    thread_context: Dict[FunctionNode, Origin] = field(default_factory=dict)
    process_context: Dict[FunctionNode, Origin] = field(default_factory=dict)
    # thread targets' parameters that receive one object shared by several threads
    shared_params: Dict[FunctionNode, Set[str]] = field(default_factory=dict)
    # methods whose `self` may be seen by several threads (handed to a thread as a bound
    # method, a Thread subclass's run, or called on an object that is not freshly made)
    shared_self: Set[FunctionNode] = field(default_factory=set)

    def runs_in_thread(self, node: Optional[cst.CSTNode]) -> Optional[Origin]:
        return self.thread_context.get(node) if node is not None else None  # type: ignore[arg-type]

    def runs_in_process(self, node: Optional[cst.CSTNode]) -> Optional[Origin]:
        return self.process_context.get(node) if node is not None else None  # type: ignore[arg-type]

    def callers(self, node: FunctionNode) -> List[Edge]:
        return [e for e in self.edges if e.callee is node]

    def callees(self, node: Optional[FunctionNode]) -> List[Edge]:
        return [e for e in self.edges if e.caller is node]

    def runnable_class_named(self, ctx: Context, qualname: Optional[str]) -> Optional[Tuple[cst.ClassDef, str]]:
        """For a local class qualified name: the class if it is a Thread/Process subclass."""
        if not qualname:
            return None
        for cls, kind in self.runnable_classes.items():
            if ctx.local_qualname(cls.name.value) == qualname:
                return cls, kind
        return None

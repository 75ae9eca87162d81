"""How thread targets are handed over: CCY302 (callable-called-instead-of-passed, a target
called at the start site instead of passed, with its fix) and CCY303
(thread-run-instead-of-start, ``.run()`` on a thread or process object); owns the guesses
about whether a value is callable and whether a receiver is a runnable object.
"""
from __future__ import annotations

import re
from typing import List, Optional

import libcst as cst

from ...apis.threads import CALLABLE_FACTORIES, NON_CALLABLE_RESULTS, PROCESS, RUNNABLE_TYPES, THREAD, Starter
from ...findings import Fix, Text
from ...semantics.context import Context
from ...semantics.scopes import (
    ASSIGN, ASYNC_DEF, CLASS, DEF, GLOBAL, IMPORT, NONLOCAL, BindingCollector, Scope, add_parameters,
)
from ...semantics.threads import (
    callable_arg_node, code_excerpt, keyword, last_name, positional, thread_targets, walk_expression,
)
from ..base import Rule
from .common import _SCOPE_NODES, _statement_children, _starter


_FACTORY_NAME = re.compile(r"(?i)(make|factory|handler|callback|wrap|decorat|partial|build|func|target|job|task)")


# =========================================================================== CCY302
class CallableCalledInsteadOfPassed(Rule):
    code = "CCY302"

    group = "correctness"
    group_reason = Text(
        "The function runs right away in the calling thread: wrong whenever it matches (a "
        "same-module factory returning a callable is recognised).")
    name = "callable-called-instead-of-passed"
    fix = "unsafe"
    summary = Text("a function is called where a thread/executor API expects the function itself")
    what = Text(
        "Finds `Thread(target=f())`, `Timer(1, f())`, `Process(target=f())`, `executor.submit(f())`, "
        "`executor.map(f(), xs)`, `asyncio.to_thread(f())`, `loop.run_in_executor(None, f())`, "
        "`loop.call_soon(f())` and `pool.apply_async(f())` where `f` is a same-module function that "
        "does not return a callable.")
    why = Text(
        "The parentheses run `f` immediately, in the calling thread, and hand its return value "
        "(usually `None`) to the thread or executor. The work happens sequentially, and the thread "
        "then fails or silently does nothing.")
    example = "import threading\n\ndef worker(name):\n    print(name)\n\nt = threading.Thread(target=worker('T1'))\n"
    use_instead = "import threading\n\ndef worker(name):\n    print(name)\n\nt = threading.Thread(target=worker, args=('T1',))\n"
    fix_safety = Text(
        "Unsafe: the arguments are then evaluated in the same place but `f` runs later, in another "
        "thread; code that relied on the (mistaken) immediate call changes behaviour.")
    valid = (
        "import threading\ndef worker():\n    pass\nthreading.Thread(target=worker).start()\n",
        "import threading\ndef make_worker(n):\n    def run():\n        print(n)\n    return run\n"
        "threading.Thread(target=make_worker(3)).start()\n",
        "import functools, threading\ndef work(n):\n    pass\n"
        "threading.Thread(target=functools.partial(work, 1)).start()\n",
    )
    invalid = (
        "import threading\ndef worker():\n    pass\nthreading.Thread(target=worker()).start()\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef fetch(url):\n    return len(url)\n"
        "with ThreadPoolExecutor() as ex:\n    ex.submit(fetch('u'))\n",
        "import asyncio\ndef load(path):\n    return open(path).read()\n"
        "async def main():\n    await asyncio.to_thread(load('x'))\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        found = _starter(self.ctx, node)
        if found is None:
            return
        starter, _kind = found
        arg = callable_arg_node(node, starter)
        if arg is None or not isinstance(arg.value, cst.Call):
            return
        inner = arg.value
        if _returns_callable(self.ctx, inner):
            return
        name = code_excerpt(self.ctx, inner.func)
        fix = _fix_called(self.ctx, node, arg, inner, starter)
        self.report(inner, Text(
            "'{name}' is called here, in the current thread, and its result is passed to "
            "'{label}'; pass the function itself: '{name}' (arguments separately)").format(
                name=name,
                label=starter.label), fix=fix)


def _definition(ctx: Context, func: cst.BaseExpression) -> Optional[cst.FunctionDef]:
    if isinstance(func, cst.Name):
        bindings, _owner = ctx.lookup(func.value)
        if bindings and len(bindings) == 1 and bindings[0].kind in (DEF, ASYNC_DEF):
            node = bindings[0].node
            return node if isinstance(node, cst.FunctionDef) else None
        return None
    return ctx.is_local_function(func)


def _returns_callable(ctx: Context, call: cst.Call) -> bool:
    """Could ``call`` return a callable? True unless it is a same-module function that doesn't."""
    callee = ctx.resolve(call.func)
    if callee in CALLABLE_FACTORIES:
        return True
    if callee in NON_CALLABLE_RESULTS:
        return False
    definition = _definition(ctx, call.func)
    if definition is None or definition.decorators:
        return True
    scope = Scope("function", definition, ctx.module_scope, name=definition.name.value)
    add_parameters(scope, definition.params)
    BindingCollector(scope, record_attributes=False).block(definition.body)
    for value in _return_values(definition):
        if _maybe_callable(ctx, value, scope):
            return True
    if any(isinstance(node, cst.Yield) for node in walk_expression(definition.body)):
        return True  # a generator: not callable either, but not our business
    return False


def _return_values(function: cst.FunctionDef) -> List[cst.BaseExpression]:
    values: List[cst.BaseExpression] = []
    stack: List[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                if isinstance(small, cst.Return) and small.value is not None:
                    values.append(small.value)
            continue
        if isinstance(node, _SCOPE_NODES):
            continue
        stack.extend(_statement_children(node))
        if isinstance(node, (cst.IndentedBlock,)):
            stack.extend(node.body)
        elif isinstance(node, cst.SimpleStatementSuite):
            for small in node.body:
                if isinstance(small, cst.Return) and small.value is not None:
                    values.append(small.value)
    return values


def _maybe_callable(ctx: Context, value: cst.BaseExpression, scope: Scope) -> bool:
    if isinstance(value, cst.Lambda):
        return True
    if isinstance(value, cst.Name):
        if value.value in ("None", "True", "False"):
            return False
        bindings, owner = ctx.lookup(value.value, scope)
        if not bindings:
            return value.value not in ("print",)  # builtins: could be anything
        for binding in bindings:
            if binding.kind in (DEF, ASYNC_DEF, CLASS, IMPORT, GLOBAL, NONLOCAL):
                return True
            if binding.kind == ASSIGN and binding.node is not None and not isinstance(
                    binding.node, (cst.BaseNumber, cst.BaseString, cst.List, cst.Dict, cst.Tuple,
                                   cst.Set, cst.BinaryOperation, cst.Comparison, cst.ListComp,
                                   cst.DictComp, cst.SetComp)):
                if isinstance(binding.node, cst.Call) and not _maybe_callable(ctx, binding.node, scope):
                    continue
                return True
        return False
    if isinstance(value, cst.Call):
        if ctx.resolve(value.func, scope) in CALLABLE_FACTORIES:
            return True
        return bool(_FACTORY_NAME.search(last_name(value.func) or ""))
    if isinstance(value, cst.Attribute):
        if isinstance(value.value, cst.Name):
            cls = ctx._class_of_self(value.value.value, scope)  # noqa: SLF001
            if cls is not None:
                return value.attr.value in cls.bindings
        return False
    if isinstance(value, (cst.Subscript, cst.IfExp, cst.BooleanOperation)):
        return True
    return False


def _fix_called(ctx: Context, call: cst.Call, arg: cst.Arg, inner: cst.Call, starter: Starter) -> Optional[Fix]:
    title = Text("pass the function instead of calling it")
    if not inner.args:
        return Fix(title=title, safe=False, replacements=((inner, inner.func),))
    if any(a.star or a.keyword is not None for a in inner.args):
        return None
    values = [a.value for a in inner.args]
    new_args: List[cst.Arg] = []
    if starter.pass_args == "args-kw":
        if keyword(call, "args") is not None or keyword(call, "kwargs") is not None:
            return None
        elements = [cst.Element(v) for v in values]
        tuple_node = cst.Tuple(elements=elements if len(elements) > 1 else [
            cst.Element(values[0], comma=cst.Comma())])
        for a in call.args:
            new_args.append(a.with_changes(value=inner.func) if a is arg else a)
        new_args = _fix_commas(new_args)
        new_args.append(cst.Arg(keyword=cst.Name("args"), value=tuple_node,
                                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                      whitespace_after=cst.SimpleWhitespace(""))))
    elif starter.pass_args == "star":
        if arg is not call.args[-1] or arg.keyword is not None:
            return None
        for a in call.args:
            if a is arg:
                new_args.append(a.with_changes(value=inner.func))
                new_args.extend(cst.Arg(v) for v in values)
            else:
                new_args.append(a)
        new_args = _fix_commas(new_args)
    elif starter.pass_args == "tuple":
        if len(call.args) != 1:
            return None
        elements = [cst.Element(v) for v in values]
        tuple_node = cst.Tuple(elements=elements if len(elements) > 1 else [
            cst.Element(values[0], comma=cst.Comma())])
        new_args = _fix_commas([arg.with_changes(value=inner.func), cst.Arg(tuple_node)])
    else:
        return None
    return Fix(title=title, safe=False, replacements=((call, call.with_changes(args=new_args)),))


def _fix_commas(args: List[cst.Arg]) -> List[cst.Arg]:
    out: List[cst.Arg] = []
    for index, a in enumerate(args):
        last = index == len(args) - 1
        if last:
            out.append(a.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        else:
            comma = a.comma if isinstance(a.comma, cst.Comma) else cst.Comma(
                whitespace_after=cst.SimpleWhitespace(" "))
            out.append(a.with_changes(comma=comma))
    return out


# =========================================================================== CCY303
class ThreadRunInsteadOfStart(Rule):
    code = "CCY303"

    group = "correctness"
    group_reason = Text(
        "`run()` runs the work in the current thread: wrong whenever it matches.")
    name = "thread-run-instead-of-start"
    fix = "unsafe"
    summary = Text("`.run()` called on a thread or process: it runs in the current thread")
    what = Text(
        "Finds `.run()` called on an object created as `threading.Thread(...)`, `threading.Timer(...)`, "
        "a `Thread` subclass or `multiprocessing.Process(...)` (also through a list of threads).")
    why = Text(
        "`run()` is the method the new thread executes; calling it directly just runs the target "
        "synchronously in the caller. Nothing runs concurrently, and `join()` later waits for a "
        "thread that was never started (it raises `RuntimeError`). `start()` creates the thread.")
    example = "import threading\n\nt = threading.Thread(target=print, args=('hi',))\nt.run()\nt.join()\n"
    use_instead = "import threading\n\nt = threading.Thread(target=print, args=('hi',))\nt.start()\nt.join()\n"
    fix_safety = Text("Unsafe: the work then really runs concurrently, which changes ordering and timing.")
    valid = (
        "import threading\nt = threading.Thread(target=print)\nt.start()\n",
        "import threading\nclass Worker(threading.Thread):\n    def run(self):\n        super().run()\n",
    )
    invalid = (
        "import threading\nt = threading.Thread(target=print)\nt.run()\n",
        "import threading\nthreads = [threading.Thread(target=print) for _ in range(3)]\nfor t in threads:\n    t.run()\n",
        "import multiprocessing\np = multiprocessing.Process(target=print)\np.run()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "run" and not node.args):
            return
        receiver = func.value
        if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name) and receiver.func.value == "super":
            return
        if isinstance(receiver, cst.Name) and self.ctx._class_of_self(receiver.value, self.ctx.scope) is not None:  # noqa: SLF001
            return
        kind = _runnable_kind(self.ctx, receiver)
        if kind is None:
            return
        if kind == PROCESS:
            message = Text("'{call}' runs the process's target in the current thread; call "
                           "'.start()' to run it concurrently")
        else:
            message = Text("'{call}' runs the thread's target in the current thread; call "
                           "'.start()' to run it concurrently")
        fix = Fix(title=Text("call .start() instead"), safe=False,
                  replacements=((func.attr, cst.Name("start")),))
        self.report(node, message.format(call=code_excerpt(self.ctx, node)), fix=fix)


def _runnable_kind(ctx: Context, receiver: cst.BaseExpression, depth: int = 0) -> Optional[str]:
    found = ctx.type_of(receiver)
    if found is not None:
        return _kind_of_type(ctx, found)
    if depth == 0 and isinstance(receiver, cst.Name):
        element = _loop_element(ctx, receiver)
        if element is not None:
            return _element_kind(ctx, element)
    return None


def _loop_element(ctx: Context, name: cst.Name) -> Optional[cst.BaseExpression]:
    """``for t in threads`` -> the expression ``threads`` was built from (one element)."""
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, _SCOPE_NODES):
            return None
        if isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name) \
                and ancestor.target.value == name.value:
            return ancestor.iter
    return None


def _element_kind(ctx: Context, iterable: cst.BaseExpression) -> Optional[str]:
    if isinstance(iterable, (cst.List, cst.Tuple)) and iterable.elements:
        return _runnable_kind(ctx, iterable.elements[0].value, 1)
    if isinstance(iterable, (cst.ListComp, cst.GeneratorExp)):
        return _runnable_kind(ctx, iterable.elt, 1)
    if isinstance(iterable, cst.Name):
        bindings, owner = ctx.lookup(iterable.value)
        if not bindings or len(bindings) != 1 or bindings[0].kind != ASSIGN:
            return None
        value = bindings[0].node
        if isinstance(value, (cst.ListComp, cst.GeneratorExp)):
            return _kind_of_type(ctx, ctx.type_of(value.elt, owner))
        if isinstance(value, cst.List):
            if value.elements:
                return _kind_of_type(ctx, ctx.type_of(value.elements[0].value, owner))
            for call in thread_targets(ctx).method_calls.get("append", ()):
                if isinstance(call.receiver, cst.Name) and call.receiver.value == iterable.value:
                    item = positional(call.call, 0)
                    if item is not None:
                        kind = _kind_of_type(ctx, ctx.type_of(item, call.scope))
                        if kind is not None:
                            return kind
    return None


def _kind_of_type(ctx: Context, found: Optional[str]) -> Optional[str]:
    if found in RUNNABLE_TYPES:
        return PROCESS if found == "multiprocessing.Process" else THREAD
    if found is not None:
        local = thread_targets(ctx).runnable_class_named(ctx, found)
        return local[1] if local is not None else None
    return None

"""CCY402 (unbounded-fan-out): one task, thread or request started per item of an input of
unknown size with nothing limiting how many run at once; owns the recognition of task
starters, semaphores and locks that bound the work, worker pools and pooled clients.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ...apis.backends import advice
from ...apis.backpressure import (
    DRAINING_CALLS, FAN_IN_CALLS, NON_STARTING_CALLS, NON_STARTING_METHODS, POOLED_AWAITABLES,
    POOLED_CLIENT_FACTORIES, TASK_SCOPES, TASK_STARTERS, TEARDOWN_NAMES, DRAINING_METHODS,
    POOLED_METHODS,
)
from ...findings import Text
from ...semantics.callees import definition_of, last_name, walk_body
from ...semantics.scopes import ASSIGN
from ..base import Rule
from .common import (
    _call_args, _COMPREHENSIONS, _SCOPE_BOUNDARIES, _TASK_OWNER_NAME, _POOLED_METHOD, _TEARDOWN,
    _OWNED_TEARDOWN, _Source, _target_names, _root,
    _is_stub, _is_task_helper, _is_wrapper, _comp_fors, _describe, _callee_text,
)
from .limits import _Limits
from .sizes import _Sizes


def _items(iterable_text: str, stream: bool) -> Text:
    """Where the items come from: an ``async for`` receives them, a collection holds them."""
    if stream:
        return Text("received from '{it}'").format(it=iterable_text)
    return Text("of '{it}'").format(it=iterable_text)


# ----------------------------------------------------------------------------- CCY402


class UnboundedFanOut(_Sizes, _Limits, Rule):
    code = "CCY402"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 145 reviewed findings, 1 real, "
        "18 wrong, 126 intended (program- and account-sized collections, limits inside "
        "libraries, local dispatch). No narrower form reached the bar (CCY404 was not "
        "created), so `advice`.")
    name = "unbounded-fan-out"
    summary = Text("every item of a collection of unknown size is started at once")
    what = Text(
        "Flags starting one coroutine or task per item of a collection whose size is not known "
        "in the code -- `asyncio.gather(*(f(x) for x in xs))`, `gather(*[f(x) for x in xs])`, "
        "`as_completed(...)`/`wait(...)` over such a list, `[create_task(f(x)) for x in xs]`, "
        "`create_task(...)`/`tg.create_task(...)`/`start_soon(...)` inside a `for` loop -- when "
        "nothing limits how many run at once. A semaphore acquired with `async with` in the "
        "started coroutine (same-module function, nested function or method of the same class) "
        "or in the enclosing function, a fixed set of workers reading from a queue, and loops "
        "that wait for each batch (`await gather(...)` inside the loop) count as limits. "
        "Literals, `range(<constant <= 100>)`, constant slices and `range(n)` worker counts are "
        "not flagged; nor is work handed to an executor (bounded by `max_workers`), nor a "
        "broadcast over objects the program already holds (a method of each item, "
        "`conn.close()` for each connection, or a teardown coroutine such as `shutdown`/`stop`), "
        "nor dispatch to registered callables: calling each item of the loop "
        "(`receiver(event) for receiver in receivers`) or iterating a collection named like a "
        "registry of code (`*receivers`, `*handlers`, `*callbacks`, `*hooks`, `*plugins`, "
        "`*middleware`), whose size the program sets, not its input.\n\n"
        "Also counted as limits or as no fan-out (revision 2): executor work inside a gather "
        "(`run_in_executor`, `to_thread`, `run_sync` and framework wrappers whose name says "
        "executor, such as `add_executor_job`); requests of a client from `async with "
        "session.create_client(...)` (a connection pool of fixed size); a lock or semaphore the "
        "started coroutine hands to the code it calls; a same-module coroutine that never awaits "
        "(it runs to its end as soon as it starts); futures from `create_future()` (nothing is "
        "started); teardown (a callee named with close, disconnect, shutdown, unload, teardown, "
        "unsubscribe or terminate, or with remove, cancel, stop, release, delete over a "
        "collection the instance holds, `self.x`); calling what each item holds "
        "(`item[\"on_fail\"]()`, `getattr(item, name)()`, `start_soon(task) for task in tasks`, a "
        "callable unpacked from each item of a stream, `spawn(coro) for coro in coros`); and "
        "UPPER_CASE literal collections imported from another module of the project "
        "(`from .const import PLATFORMS`). The message names the limiter of the code's own "
        "library (`asyncio.Semaphore`, `trio.CapacityLimiter`, `anyio.CapacityLimiter`); it says "
        "to acquire it inside the started coroutine only when that coroutine is the project's "
        "own, and otherwise to wrap each call in `async with`. Items received by an `async for` "
        "are called items received from the stream, not items of a collection.")
    why = Text(
        "The number of concurrent operations then equals the size of the input. With ten URLs "
        "that is fine; with a hundred thousand it opens a hundred thousand sockets at once, "
        "exhausts file descriptors and memory, and floods the downstream service until it "
        "rate-limits or falls over. Concurrency should be a number you chose, not the length of "
        "whatever list arrived.\n\n"
        "Group: advice (the `strict` and `learn` presets; not the default set). Reviewed on 28 "
        "released projects, the round-1 form flagged 145 fan-outs: 1 real, 18 wrong, 126 intended "
        "(real: 0.7 %, wrong: 12 %; the default set needs wrong ≤ 5 % and real ≥ 75 %). "
        "In released code most fan-outs run over collections that are small by nature (the "
        "devices of one account, an integration's platforms, configured entries) or over calls "
        "that a library already bounds (connection pools, a radio's request semaphore, a "
        "crawler's download slots), which no check of one module can see; the revision-2 "
        "exemptions remove 12 of the wrong findings, and the message now says only that nothing "
        "in this code limits the fan-out. A narrowed default form (a collection from outside the "
        "function, network or database I/O per item, no limiter reachable) was measured on the "
        "reviewers' notes and not created: 32 of the 145 findings match it, 1 of them is real "
        "and 5 are wrong.")
    example = (
        "import asyncio\n\n"
        "async def crawl(session, urls):\n"
        "    return await asyncio.gather(*(fetch(session, u) for u in urls))\n")
    use_instead = (
        "import asyncio\n\n"
        "async def crawl(session, urls, limit=10):\n"
        "    sem = asyncio.Semaphore(limit)\n\n"
        "    async def bounded(u):\n"
        "        async with sem:\n"
        "            return await fetch(session, u)\n\n"
        "    return await asyncio.gather(*(bounded(u) for u in urls))\n")
    fix_safety = Text("No automatic fix: choosing the limit is a design decision.")
    valid = (
        "import asyncio\nasync def main():\n    await asyncio.gather(*(work(i) for i in range(3)))\n",
        "import asyncio\nasync def main(n):\n    ts = [asyncio.create_task(worker()) for _ in range(n)]\n"
        "    await asyncio.gather(*ts)\n",
        "import asyncio\nsem = asyncio.Semaphore(5)\nasync def fetch(u):\n    async with sem:\n"
        "        return u\nasync def main(urls):\n    await asyncio.gather(*(fetch(u) for u in urls))\n",
        "import asyncio\nasync def main():\n    urls = ['a'] * 20\n"
        "    await asyncio.gather(*[fetch(u) for u in urls])\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef main(urls):\n"
        "    with ThreadPoolExecutor(4) as ex:\n        return [ex.submit(get, u) for u in urls]\n",
    )
    invalid = (
        "import asyncio\nasync def crawl(urls):\n    await asyncio.gather(*(fetch(u) for u in urls))\n",
        "import asyncio\nasync def crawl(urls):\n    tasks = [asyncio.create_task(fetch(u)) for u in urls]\n"
        "    await asyncio.wait(tasks)\n",
        "import asyncio\nasync def crawl(urls):\n    async with asyncio.TaskGroup() as tg:\n"
        "        for u in urls:\n            tg.create_task(fetch(u))\n",
        "import asyncio as aio\nasync def crawl(urls):\n    for u in aio.as_completed([fetch(u) for u in urls]):\n"
        "        await u\n",
    )

    _STARTER_NAMES = frozenset({
        "create_task", "ensure_future", "start_soon", "start", "run_coroutine_threadsafe",
        "gather", "as_completed", "wait",
    })

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value not in self._STARTER_NAMES:
            return  # cheap pre-check (a bare name may be an alias: resolve it)
        callee = self.ctx.resolve(node.func)
        guessed = callee is None
        if callee is None:
            callee = self._untyped_starter(node)
            if callee is None:
                return
        if callee in TASK_STARTERS:
            self._check_starter(node, callee, guessed)
        elif callee in FAN_IN_CALLS:
            self._check_fan_in(node, callee)

    def _untyped_starter(self, node: cst.Call) -> Optional[str]:
        """``loop.create_task(f())`` / ``tg.start_soon(f)`` on a receiver of unknown type."""
        func = node.func
        if not isinstance(func, cst.Attribute) or not node.args:
            return None
        method = func.attr.value
        if method == "start_soon":
            return "anyio.abc.TaskGroup.start_soon"
        if method != "create_task":
            return None
        receiver = last_name(func.value)
        if receiver and _TASK_OWNER_NAME.search(receiver):
            return "asyncio.AbstractEventLoop.create_task"
        first = node.args[0].value
        if isinstance(first, cst.Call):
            definition = definition_of(self.ctx, first.func)
            if definition is not None and definition[0].asynchronous is not None:
                return "asyncio.AbstractEventLoop.create_task"
        return None

    # ------------------------------------------------------------- task starters
    def _check_starter(self, node: cst.Call, callee: str, guessed: bool = False) -> None:
        parent = self.ctx.parent
        if isinstance(parent, cst.Await):
            return  # awaited right away: one at a time
        loops = self._repeating(node)
        if not loops:
            return
        target = self._assigned_name(node)
        unknown: Optional[cst.CSTNode] = None
        for loop, inner in loops:
            if isinstance(loop, (cst.For, cst.While)) and self._drains(loop, inner, target):
                return
        for loop, _inner in loops:
            iterable = self._unknown_iterable(loop)
            if iterable is not None:
                unknown = iterable
                break
        if unknown is None:
            return
        positional, keywords, _ = _call_args(node)
        first = positional[0].value if positional else (
            keywords["coro"].value if "coro" in keywords else None)
        if first is None:
            return
        mode = TASK_STARTERS[callee]
        started, started_args = self._started(first, mode, positional)
        if started is None:
            return
        targets: Set[str] = set()
        for loop, _inner in loops:
            targets |= _target_names(loop)
        if mode == "callable" and not isinstance(started, cst.Attribute) and \
                self._from_item(started, targets, 0):
            return  # `start_soon(task) for task in tasks`: running the callables it was given
        if self._exempt(started, started_args, targets, unknown):
            return
        what = _callee_text(self, started)
        it = _describe(self, unknown)
        stream = self._is_stream(unknown)
        remedy = self._remedy(started, callee, guessed)
        self.report(node, Text(
            "a task running '{what}' is started for every item {items}, and nothing in this code "
            "limits how many run at once; {remedy}").format(
            what=what, items=_items(iterable_text=it, stream=stream), remedy=remedy))

    def _started(self, first: cst.BaseExpression, mode: str, positional: Sequence[cst.Arg],
                 ) -> Tuple[Optional[cst.BaseExpression], Sequence[cst.Arg]]:
        """The function that actually runs, and the arguments it gets."""
        if mode == "callable":
            return first, positional[1:]
        depth = 0
        while isinstance(first, cst.Call) and depth < 4:
            name = self.ctx.resolve(first.func)
            if self._pooled(name, first.func) or self._non_starting(name, first.func):
                return None, ()
            if _is_wrapper(name, first):
                first = first.args[0].value
                depth += 1
                continue
            return first.func, first.args
        return None, ()

    def _assigned_name(self, node: cst.Call) -> Optional[str]:
        parent = self.ctx.parent
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            if isinstance(target, cst.Name):
                return target.value
        if isinstance(parent, (cst.AnnAssign,)) and isinstance(parent.target, cst.Name):
            return parent.target.value
        return None

    def _repeating(self, node: cst.CSTNode) -> List[Tuple[cst.CSTNode, cst.CSTNode]]:
        """Enclosing loops/comprehensions (in this function) that repeat ``node``,
        innermost first, each with the child on the path to ``node``."""
        found: List[Tuple[cst.CSTNode, cst.CSTNode]] = []
        child: cst.CSTNode = node
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                break
            if isinstance(ancestor, (cst.For, cst.While)):
                if child is ancestor.body:
                    found.append((ancestor, child))
            elif isinstance(ancestor, cst.DictComp):
                if child is ancestor.key or child is ancestor.value:
                    found.append((ancestor, child))
            elif isinstance(ancestor, _COMPREHENSIONS):
                if child is ancestor.elt:  # type: ignore[attr-defined]
                    found.append((ancestor, child))
            child = ancestor
        return found

    def _unknown_iterable(self, loop: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The iterable of ``loop`` when its size is unknown, else None."""
        if isinstance(loop, cst.For):
            if loop.asynchronous is not None:
                return loop.iter  # a stream: as many items as arrive
            return None if self._bounded(loop.iter, 0) else loop.iter
        if isinstance(loop, _COMPREHENSIONS):
            for comp_for in _comp_fors(loop):  # type: ignore[arg-type]
                if comp_for.asynchronous is not None or not self._bounded(comp_for.iter, 0):
                    return comp_for.iter
        return None

    def _drains(self, loop: cst.CSTNode, inner: cst.CSTNode, target: Optional[str]) -> bool:
        """Does each iteration of ``loop`` wait for (or limit) the work it started?"""
        # a TaskGroup/nursery entered inside the loop body waits for its tasks every iteration
        inside = False
        for ancestor in self.ctx.ancestors:
            if ancestor is loop:
                inside = True
                continue
            if inside and isinstance(ancestor, cst.With) and ancestor.asynchronous is not None:
                for item in ancestor.items:
                    expr = item.item
                    kind = self.ctx.resolve(expr.func) if isinstance(expr, cst.Call) else None
                    if kind is None:
                        kind = self.ctx.type_of(expr)
                    if kind in TASK_SCOPES:
                        return True
        key = ("CCY402.drains", id(loop), target)
        cached = self.ctx.memo.get(key)
        if cached is not None:
            return cached
        result = False
        body = loop.body  # type: ignore[attr-defined]
        for sub in walk_body(body):
            if isinstance(sub, cst.Await):
                expr = sub.expression
                if isinstance(expr, cst.Name) and target is not None and expr.value == target:
                    result = True
                elif isinstance(expr, cst.Call):
                    name = self.ctx.resolve(expr.func)
                    method = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else None
                    if name in DRAINING_CALLS or method in DRAINING_METHODS:
                        result = True  # waits for the batch / the queue to drain
                    elif method == "acquire" and \
                            self._is_semaphore(expr.func.value, self.ctx.scope):  # type: ignore[union-attr]
                        result = True
            if result:
                break
        self.ctx.memo[key] = result
        return result

    # ------------------------------------------------------------- gather & co
    def _check_fan_in(self, node: cst.Call, callee: str) -> None:
        mode = FAN_IN_CALLS[callee]
        sources: List[cst.BaseExpression] = []
        if mode == "star":
            sources = [arg.value for arg in node.args if arg.star == "*"]
        else:
            positional, keywords, _ = _call_args(node)
            if positional:
                sources = [positional[0].value]
            elif "fs" in keywords:
                sources = [keywords["fs"].value]
        for source in sources:
            found = self._fan_out_source(node, source)
            if found is None:
                continue
            started, started_args, iterable, construct = found
            if self._exempt(started, started_args, _target_names(construct), iterable):
                continue
            what = _callee_text(self, started)
            it = _describe(self, iterable)
            stream = self._is_stream(iterable)
            short = callee.rsplit(".", 1)[-1]
            remedy = self._remedy(started, callee)
            self.report(node, Text(
                "{short}() runs '{what}' for every item {items} at once, and nothing in this code "
                "limits how many run together; {remedy}").format(
                short=short, what=what, items=_items(iterable_text=it, stream=stream), remedy=remedy))
            return

    def _fan_out_source(self, node: cst.Call, source: cst.BaseExpression, depth: int = 0,
                        ) -> Optional[_Source]:
        """(started function, its args, the unknown iterable) when ``source`` is an
        unknown-size collection of freshly made coroutines."""
        if depth > 2:
            return None
        if isinstance(source, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            iterable = self._unknown_iterable(source)
            if iterable is None:
                return None
            return self._started_element(source.elt, iterable, source)
        if isinstance(source, cst.Call):
            name = self.ctx.resolve(source.func)
            if name == "builtins.map" and len(source.args) >= 2 and not any(a.star for a in source.args):
                iterable = source.args[1].value
                if self._bounded(iterable, 0):
                    return None
                return source.args[0].value, (), iterable, None
            if name in ("builtins.list", "builtins.tuple", "builtins.set") and source.args:
                return self._fan_out_source(node, source.args[0].value, depth + 1)
            return None
        if isinstance(source, cst.Name):
            bindings, owner = self.ctx.lookup(source.value)
            function = self.ctx.function
            if not bindings or owner is None or function is None or owner is not function:
                return None
            values = [b.node for b in bindings if b.kind == ASSIGN and not b.with_item]
            for value in values:
                if isinstance(value, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.Call)):
                    found = self._fan_out_source(node, value, depth + 1)
                    if found is not None:
                        return found
            if len(values) == len(bindings) and all(isinstance(v, (cst.List, cst.Set)) for v in values):
                return self._appended_in_loop(node, source.value, function.node)
        return None

    def _started_element(self, elt: cst.BaseExpression, iterable: cst.CSTNode, construct: cst.CSTNode,
                         ) -> Optional[_Source]:
        targets = _target_names(construct)
        if isinstance(elt, cst.Call) and not isinstance(elt.func, cst.Attribute) and _root(elt.func) in targets:
            # `receiver(...) for receiver in receivers`, `item["on_fail"]()`, `getattr(item, m)()`:
            # calling a callable each item holds (dispatch), not new work made from data
            return None
        depth = 0
        while isinstance(elt, cst.Call) and depth < 4:
            name = self.ctx.resolve(elt.func)
            if name in TASK_STARTERS or self._pooled(name, elt.func) or self._non_starting(name, elt.func):
                return None  # a started task is judged where it is started; pooled or no work
            if _is_wrapper(name, elt):
                elt = elt.args[0].value
                depth += 1
                continue
            if _is_task_helper(elt) and not isinstance(elt.args[0].value, cst.Call):
                given = elt.args[0].value
                if _root(given) in targets:
                    # `spawn(coro) for coro in coros` (made elsewhere, judged there) or
                    # `spawn(item.close)` (winding down what each item is)
                    return None
            definition = definition_of(self.ctx, elt.func)
            if definition is not None and definition[0].asynchronous is None:
                return None  # a plain function: we cannot tell what it returns
            return elt.func, elt.args, iterable, construct
        return None

    def _appended_in_loop(self, node: cst.Call, name: str, function: cst.CSTNode,
                          ) -> Optional[_Source]:
        """``coros = []; for x in xs: coros.append(f(x))`` -- the appended coroutine and loop."""
        loops = self._loop_appends(function).get(name, [])
        ancestors = set(id(a) for a in self.ctx.ancestors)
        for loop, element in loops:
            if id(loop) in ancestors:
                continue  # gathered inside the same loop: batches
            if loop.asynchronous is not None:
                iterable: Optional[cst.CSTNode] = loop.iter
            else:
                iterable = None if self._bounded(loop.iter, 0) else loop.iter
            if iterable is None:
                continue
            found = self._started_element(element, iterable, loop)
            if found is not None:
                return found
        return None

    def _loop_appends(self, function: cst.CSTNode) -> Dict[str, List[Tuple[cst.For, cst.BaseExpression]]]:
        key = ("CCY402.appends", id(function))
        cached = self.ctx.memo.get(key)
        if cached is not None:
            return cached
        result: Dict[str, List[Tuple[cst.For, cst.BaseExpression]]] = {}
        for sub in walk_body(function):
            if not isinstance(sub, cst.For):
                continue
            for inner in walk_body(sub.body):
                if (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                        and inner.func.attr.value == "append" and isinstance(inner.func.value, cst.Name)
                        and len(inner.args) == 1 and not inner.args[0].star):
                    result.setdefault(inner.func.value.value, []).append((sub, inner.args[0].value))
        self.ctx.memo[key] = result
        return result

    # ------------------------------------------------------------- messages
    def _is_stream(self, iterable: cst.CSTNode) -> bool:
        """Is ``iterable`` what an ``async for`` walks (items arrive, no collection)?"""
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, cst.For) and ancestor.iter is iterable:
                return ancestor.asynchronous is not None
        return False

    def _remedy(self, started: cst.BaseExpression, callee: str, guessed: bool = False) -> Text:
        """Where to put the limit, in the library of the call that starts the work (a task
        group of unknown type: the module's library)."""
        backend: Optional[str] = callee.split(".")[0]
        if guessed and self.ctx.async_backend is not None:
            backend = self.ctx.async_backend
        limiter = advice(backend, "limiter")
        if self._own_coroutine(started):
            name = last_name(started)
            # the article is English grammar: one message per article
            if limiter[:1] in "aeiou":
                remedy = Text("acquire an {limiter} in '{name}' or use a fixed pool of workers")
            else:
                remedy = Text("acquire a {limiter} in '{name}' or use a fixed pool of workers")
            return remedy.format(limiter=limiter, name=name)
        # not a coroutine of this project: the limit goes around each call
        return Text("wrap each '{text}' call in 'async with <{limiter}>' or use a fixed pool of workers").format(
            text=_callee_text(self, started), limiter=limiter)

    def _own_coroutine(self, started: cst.BaseExpression) -> bool:
        if not isinstance(started, (cst.Name, cst.Attribute)):
            return False
        if definition_of(self.ctx, started) is not None:
            return True
        qualname = self.ctx.resolve(started)
        project = self.ctx.project
        return bool(qualname) and project is not None and \
            project.is_coroutine_function(qualname) is not None  # type: ignore[arg-type]

    # ------------------------------------------------------------- limits
    def _exempt(self, started: cst.BaseExpression, started_args: Sequence[cst.Arg], targets: Set[str],
                iterable: cst.CSTNode) -> bool:
        return self._broadcast(started, targets, iterable) or self._pooled_client(started) \
            or self._runs_at_once(started) or self._limited(started, started_args)

    def _pooled(self, name: Optional[str], func: cst.BaseExpression) -> bool:
        """Work handed to a bounded executor (``run_in_executor``, ``to_thread``, framework
        wrappers such as ``async_add_executor_job``)."""
        method = last_name(func) or ""
        return name in POOLED_AWAITABLES or method in POOLED_METHODS or bool(_POOLED_METHOD.search(method))

    def _non_starting(self, name: Optional[str], func: cst.BaseExpression) -> bool:
        """``loop.create_future()``: a future some callback resolves; nothing runs."""
        return name in NON_STARTING_CALLS or last_name(func) in NON_STARTING_METHODS

    def _from_item(self, expr: cst.BaseExpression, targets: Set[str], depth: int) -> bool:
        """Is ``expr`` (a callable) taken from the loop's item: the item itself, unpacked from
        it, ``partial(item, ...)``, or made from it by a call (``self._wrap(gen)``)?"""
        if depth > 4:
            return False
        if isinstance(expr, (cst.Attribute, cst.Subscript)):
            return _root(expr) in targets
        if isinstance(expr, cst.Call):
            return any(not a.star and self._from_item(a.value, targets, depth + 1) for a in expr.args)
        if not isinstance(expr, cst.Name):
            return False
        if expr.value in targets:
            return True
        bindings, owner = self.ctx.lookup(expr.value)
        if not bindings or owner is None or owner is not self.ctx.function:
            return False
        for binding in bindings:
            value = binding.unpacked_from if binding.unpacked_from is not None else binding.node
            if binding.kind == ASSIGN or binding.unpacked_from is not None:
                if isinstance(value, cst.BaseExpression) and self._from_item(value, targets, depth + 1):
                    return True
        return False

    def _broadcast(self, started: cst.BaseExpression, targets: Set[str], iterable: cst.CSTNode) -> bool:
        """``conn.shutdown()`` for each connection, ``item.close()`` for each item,
        ``self.remove_listener(l) for l in self._listeners``: work on objects the program
        already holds (one each), not new work fanned out over data."""
        name = last_name(started) or ""
        if name in TEARDOWN_NAMES or _TEARDOWN.search(name):
            return True
        if _OWNED_TEARDOWN.search(name) and _root(iterable) in ("self", "cls"):  # type: ignore[arg-type]
            return True
        return isinstance(started, cst.Attribute) and _root(started) in targets

    def _pooled_client(self, started: cst.BaseExpression) -> bool:
        """``client.publish(...)`` on a client from ``async with session.create_client(...)``:
        its requests share a connection pool of fixed size."""
        if not isinstance(started, cst.Attribute) or not isinstance(started.value, cst.Name):
            return False
        bindings, _owner = self.ctx.lookup(started.value.value)
        return bool(bindings) and all(
            b.with_item and isinstance(b.node, cst.Call) and last_name(b.node.func) in POOLED_CLIENT_FACTORIES
            for b in bindings)  # type: ignore[union-attr]

    def _runs_at_once(self, started: cst.BaseExpression) -> bool:
        """A same-module coroutine that never awaits runs to its end as soon as it starts:
        the items are handled one after another, never together."""
        definition = definition_of(self.ctx, started)
        if definition is None or definition[0].asynchronous is None or _is_stub(definition[0]):
            return False
        for sub in walk_body(definition[0].body):
            if isinstance(sub, cst.Await) or (isinstance(sub, (cst.For, cst.With)) and sub.asynchronous):
                return False
            if isinstance(sub, (cst.CompFor,)) and sub.asynchronous is not None:
                return False
        return True

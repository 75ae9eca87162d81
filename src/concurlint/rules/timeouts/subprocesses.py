"""CCY503 (subprocess-without-timeout): a subprocess call without a timeout.
"""
from __future__ import annotations

from typing import List

import libcst as cst

from ...apis.timeouts import KILLS, SELF_TIMED_TOOLS, SUBPROCESS_TIMEOUT, TIME_LIMITING_COMMANDS
from ...findings import Text
from ...semantics.callees import GIVEN, MISSING, argument, dotted
from ...semantics.scopes import ASSIGN
from ..blocking.classify import constructions, earlier_nodes
from .common import _shown, _TimeoutRule


# ----------------------------------------------------------------------------- CCY503


class SubprocessWithoutTimeout(_TimeoutRule):
    code = "CCY503"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 34 findings left, all intended "
        "(short local commands, children a person waits for); `advice`.")
    name = "subprocess-without-timeout"
    summary = Text("subprocess call without a timeout")
    what = Text(
        "Flags `subprocess.run`, `call`, `check_call` and `check_output`, and "
        "`Popen.communicate()`/`Popen.wait()`, called without `timeout=` (or with `timeout=None`), "
        "outside `async def` (inside one the call blocks the event loop: CCY203 reports it). Not "
        "flagged: `wait()`/`communicate()` after `proc.kill()` on the same process in the function "
        "(SIGKILL cannot be ignored, the call only reaps the child; `terminate()` does not count); "
        "a command line that bounds itself (`[\"timeout\", \"60\", ...]`, `--timeout`, "
        "`--connect-timeout`, `--max-time`, `ping -W`, `curl -m`, `ssh -o ConnectTimeout=...`); a call "
        "inside a function that takes a `timeout` parameter (it forwards the caller's choice). "
        "Group: advice (off by default): most waits for a local command are intended.")
    why = Text(
        "These calls wait until the child exits. A child that hangs (waiting for input, a "
        "network share, a lock) hangs the caller with it; with a timeout you get "
        "`subprocess.TimeoutExpired` and can kill the child and report the problem.")
    example = (
        "import subprocess\n\n"
        "subprocess.run([\"git\", \"fetch\"], check=True)\n")
    use_instead = (
        "import subprocess\n\n"
        "subprocess.run([\"git\", \"fetch\"], check=True, timeout=120)\n")
    fix_safety = Text("No automatic fix: the right timeout depends on the command.")
    options = Text("Off by default; enable with `extend-select = [\"CCY503\"]` or the `learn` preset.")
    valid = (
        "import subprocess\nsubprocess.run(['ls'], timeout=10)\n",
        "import subprocess\np = subprocess.Popen(['cat'])\nout, err = p.communicate(b'x', 5)\n",
        "def run(cmd):\n    return cmd\nrun(['ls'])\n",
    )
    invalid = (
        "import subprocess\nsubprocess.check_output(['git', 'status'])\n",
        "from subprocess import Popen\np = Popen(['sleep', '9'])\np.wait()\n",
        "import subprocess as sp\nsp.run(['make'], timeout=None)\n",
    )

    _names = frozenset(k.rsplit(".", 1)[-1] for k in SUBPROCESS_TIMEOUT)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.in_async_function:
            return  # there the wait blocks the event loop: CCY203's finding, not this one
        callee = self._callee(node)
        spec = SUBPROCESS_TIMEOUT.get(callee or "")
        if spec is None:
            return
        state, value = argument(node, *spec)
        if state == MISSING and (self._caller_chooses_timeout() or self._killed_before(node)
                                 or self._bounds_itself(node, callee or "")):
            return
        if state == MISSING or (state == GIVEN and self._no_timeout(value)):
            shown = _shown(self, node)
            self.report(node, Text(
                "'{shown}()' waits for the child process with no timeout; pass timeout=<seconds> "
                "and handle subprocess.TimeoutExpired").format(
                    shown=shown))


    def _killed_before(self, node: cst.Call) -> bool:
        """``proc.kill()`` earlier in the function: SIGKILL cannot be ignored, so the
        ``wait()``/``communicate()`` that follows only reaps the child."""
        if not isinstance(node.func, cst.Attribute):
            return False
        wanted = dotted(node.func.value)
        return wanted is not None and any(
            isinstance(earlier, cst.Call) and isinstance(earlier.func, cst.Attribute)
            and earlier.func.attr.value in KILLS and dotted(earlier.func.value) == wanted
            for earlier in earlier_nodes(self.ctx, node))

    def _bounds_itself(self, node: cst.Call, callee: str) -> bool:
        """The command line carries its own limit: ``["timeout", "60", ...]``, ``ping -W 1``,
        ``curl --max-time 5``, ``ssh -o ConnectTimeout=5``."""
        if callee.startswith("subprocess.Popen."):
            made = constructions(self.ctx, node.func.value) if isinstance(node.func, cst.Attribute) else []
            return bool(made) and all(self._bounds_itself(call, "subprocess.Popen") for call in made)
        state, value = argument(node, 0, "args")
        words = self._argv(value) if state == GIVEN and value is not None else None
        if not words:
            return False
        tool = words[0].rsplit("/", 1)[-1]
        if tool in TIME_LIMITING_COMMANDS:
            return True
        options = SELF_TIMED_TOOLS[None] | SELF_TIMED_TOOLS.get(tool, frozenset())
        return any(word in options or word.split("=", 1)[0] in options for word in words[1:])

    def _argv(self, value: cst.BaseExpression, depth: int = 0) -> List[str]:
        """The literal words of a command (a list display, a string, or a name bound once
        to one of those); non-literal words are left out."""
        if isinstance(value, (cst.List, cst.Tuple)):
            words = []
            for element in value.elements:
                text = element.value.evaluated_value if isinstance(element.value, cst.SimpleString) else None
                words.append(text if isinstance(text, str) else "")
            return words
        if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
            return value.evaluated_value.split()
        if isinstance(value, cst.Name) and depth < 2:
            bindings, _owner = self.ctx.lookup(value.value)
            if bindings and len(bindings) == 1 and bindings[0].kind == ASSIGN \
                    and isinstance(bindings[0].node, cst.BaseExpression):
                return self._argv(bindings[0].node, depth + 1)  # type: ignore[arg-type]
        return []

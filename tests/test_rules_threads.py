"""CCY3 rules: every documented example, fixes, and the shared-state helpers."""
from __future__ import annotations

from typing import List, Optional, Tuple


from concurlint.catalog import CODES, DEFAULT_GROUPS
from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.rules.threads import RULES
from concurlint.source import decode_source


def findings(text: str, select: List[str], options: Optional[dict] = None):
    overrides = {"select": select}
    overrides.update(options or {})
    settings = load_settings(isolated=True, overrides=overrides)
    result = check_source(decode_source(text.encode(), "example.py"), settings)
    assert not result.tracebacks, result.tracebacks
    return result.findings


def codes(text: str, select: str = "CCY3", options: Optional[dict] = None) -> List[Tuple[int, str]]:
    return [(f.line, f.code) for f in findings(text, [select], options)]


def test_every_rule_is_documented_in_both_languages():
    for rule in RULES:
        assert rule.code.startswith("CCY3") and rule.name
        for text in (rule.summary, rule.what, rule.why):
            assert text.en and text.zh, rule.code
        assert rule.example and rule.use_instead and rule.valid and rule.invalid, rule.code
        if rule.fix != "-":
            assert rule.fix_safety.en and rule.fix_safety.zh


def test_groups_match_catalog():
    assert [rule.code for rule in RULES] == [f"CCY3{n:02d}" for n in range(1, 11)]
    for rule in RULES:
        assert CODES[rule.code] == (rule.name, rule.group), rule.code
        assert rule.default_on == (rule.group in DEFAULT_GROUPS), rule.code
    assert {rule.code for rule in RULES if rule.group == "advice"} == {"CCY301", "CCY304", "CCY305", "CCY306"}
    assert {rule.code for rule in RULES if not rule.default_on} == {"CCY301", "CCY304", "CCY305", "CCY306"}


def _fixed(text: str, code: str) -> str:
    found = [f for f in findings(text, [code]) if f.fix is not None]
    assert len(found) == 1
    lines = text.splitlines(keepends=True)
    edits = sorted(found[0].fix.edits, key=lambda e: (e.start.line, e.start.column), reverse=True)
    for edit in edits:
        assert edit.start.line == edit.end.line
        line = lines[edit.start.line - 1]
        lines[edit.start.line - 1] = line[: edit.start.column - 1] + edit.content + line[edit.end.column - 1:]
    return "".join(lines)


def test_ccy302_fix_without_arguments():
    src = "import threading\ndef worker():\n    pass\nt = threading.Thread(target=worker())\n"
    assert _fixed(src, "CCY302").endswith("t = threading.Thread(target=worker)\n")


def test_ccy302_fix_moves_arguments_to_args():
    src = "import threading\ndef worker(name, n):\n    pass\nt = threading.Thread(target=worker('a', 2), daemon=True)\n"
    assert _fixed(src, "CCY302").endswith("t = threading.Thread(target=worker, daemon=True, args=('a', 2))\n")


def test_ccy302_fix_single_argument_tuple():
    src = "import threading\ndef worker(name):\n    pass\nt = threading.Thread(target=worker('a'))\n"
    assert _fixed(src, "CCY302").endswith("t = threading.Thread(target=worker, args=('a',))\n")


def test_ccy302_fix_submit_spreads_arguments():
    src = ("from concurrent.futures import ThreadPoolExecutor\ndef fetch(url, n):\n    return n\n"
           "with ThreadPoolExecutor() as ex:\n    fut = ex.submit(fetch(url, 3))\n")
    assert _fixed(src, "CCY302").endswith("    fut = ex.submit(fetch, url, 3)\n")


def test_ccy303_fix_uses_start():
    src = "import threading\nt = threading.Thread(target=print)\nt.run()\n"
    assert _fixed(src, "CCY303").endswith("t.start()\n")


def test_message_names_state_function_and_start_site():
    src = ("import threading\n\ncounter = 0\n\ndef inc():\n    global counter\n    counter += 1\n\n"
           "t = threading.Thread(target=inc)\n")
    [finding] = findings(src, ["CCY301"])
    assert finding.line == 7
    message = finding.message.en
    assert "'counter'" in message and "'inc'" in message
    assert "Thread(target=inc) on line 9" in message and "with lock:" in message
    assert finding.message.zh


def test_lock_name_pattern_is_configurable():
    src = ("import threading\ncounter = 0\ndef inc(guardian):\n    global counter\n    with guardian:\n"
           "        counter += 1\nthreading.Thread(target=inc, args=(None,)).start()\n")
    assert codes(src) == [(6, "CCY301")]
    assert codes(src, options={"lock-name-pattern": "guardian$"}) == []


def test_lock_name_pattern_default_not_block():
    src = ("import threading\ncounter = 0\ndef inc(block):\n    global counter\n    with block:\n"
           "        counter += 1\nthreading.Thread(target=inc, args=(None,)).start()\n")
    assert codes(src) == [(6, "CCY301")]


def test_attribute_and_keyword_names_are_not_reads():
    src = ("import threading\ntotal = 0\nclass S:\n    total = 1\nstats = S()\n"
           "def work():\n    global total\n    total = stats.total + 1\n    total = int(total=3)\n"
           "threading.Thread(target=work).start()\n")
    assert codes(src) == []


def test_helper_protected_at_every_call_site_is_clean_but_unprotected_call_is_not():
    src = ("import threading\nlock = threading.Lock()\ncount = 0\n"
           "def bump():\n    global count\n    count += 1\n"
           "def safe():\n    with lock:\n        bump()\n"
           "def unsafe():\n    bump()\n"
           "threading.Thread(target=safe).start()\n")
    assert codes(src) == []
    assert codes(src + "threading.Thread(target=unsafe).start()\n") == [(6, "CCY301")]


def test_ccy302_fix_apply_async_and_run_in_executor():
    src = ("import multiprocessing\ndef crunch(a, b):\n    return a + b\n"
           "def main():\n    with multiprocessing.Pool() as pool:\n        pool.apply_async(crunch(1, 2))\n")
    assert _fixed(src, "CCY302").endswith("        pool.apply_async(crunch, (1, 2))\n")
    src = ("import asyncio\ndef load(path):\n    return path\n"
           "async def main(loop):\n    await loop.run_in_executor(None, load('x'))\n")
    assert _fixed(src, "CCY302").endswith("    await loop.run_in_executor(None, load, 'x')\n")


def test_ccy306_message_names_the_second_writer_and_the_module_lock():
    src = ("import trio\nclass C:\n    async def add(self):\n        self.total += await g()\n"
           "    def reset(self):\n        self.total = 0\n")
    [finding] = findings(src, ["CCY306"])
    assert "'reset' also writes it" in finding.message.en and "trio.Lock" in finding.message.en
    assert "asyncio" not in finding.message.en
    assert "trio.Lock" in finding.message.zh


def test_ccy306_message_says_how_the_coroutine_runs_concurrently():
    src = ("import anyio\nclass C:\n    async def handle(self, conn):\n        self.n += await conn.read()\n"
           "    async def serve(self, conns):\n        async with anyio.create_task_group() as tg:\n"
           "            for conn in conns:\n                tg.start_soon(self.handle, conn)\n")
    [finding] = findings(src, ["CCY306"])
    assert "'handle' can run in several tasks at once" in finding.message.en
    assert "line 8" in finding.message.en and "anyio.Lock" in finding.message.en


def test_ccy306_needs_a_second_writer():
    once = ("import asyncio\nclass C:\n    async def run(self):\n        self.n += await g()\n"
            "    async def start(self):\n        self.task = asyncio.create_task(self.run())\n")
    assert codes(once, "CCY306") == []
    per_item = once.replace("self.task = asyncio.create_task(self.run())",
                            "self.tasks = [asyncio.create_task(self.run()) for _ in range(3)]")
    assert codes(per_item, "CCY306") == [(4, "CCY306")]
    gathered = once.replace("self.task = asyncio.create_task(self.run())",
                            "await asyncio.gather(self.run(), self.run())")
    assert codes(gathered, "CCY306") == [(4, "CCY306")]
    routed = ("from web import app\nstats = {}\n@app.get('/')\nasync def hit(key):\n"
              "    stats[key] = stats.get(key, 0) + await weight(key)\n")
    assert codes(routed, "CCY306") == [(5, "CCY306")]
    sequential = once.replace("self.task = asyncio.create_task(self.run())",
                              "for _ in range(3):\n            await self.run()")
    assert codes(sequential, "CCY306") == []


def test_ccy309_a_forked_process_inherits_its_target():
    src = ("import multiprocessing as mp\ndef main():\n    def child():\n        pass\n"
           "    ctx = mp.get_context({method})\n    ctx.Process(target=child).start()\n"
           "    with ctx.Pool() as pool:\n        pool.apply(child)\n")
    assert codes(src.format(method="'fork'"), "CCY309") == [(8, "CCY309")]  # the pool still pickles
    for method in ("'spawn'", "'forkserver'", "", "name"):
        assert codes(src.format(method=method), "CCY309") == [(6, "CCY309"), (8, "CCY309")], method


def test_ccy309_set_start_method_before_the_process_or_under_the_main_guard():
    src = ("import multiprocessing\ndef main():\n    def child():\n        pass\n"
           "    multiprocessing.Process(target=child).start()\n"
           "if __name__ == '__main__':\n    multiprocessing.set_start_method({method})\n    main()\n")
    assert codes(src.format(method="'fork'"), "CCY309") == []
    assert codes(src.format(method="'spawn'"), "CCY309") == [(5, "CCY309")]
    elsewhere = ("import multiprocessing\ndef setup():\n    multiprocessing.set_start_method('fork')\n"
                 "def main():\n    def child():\n        pass\n    multiprocessing.Process(target=child).start()\n")
    assert codes(elsewhere, "CCY309") == [(7, "CCY309")]  # called in an unknown order


def test_ccy310_coroutines_the_thread_runs_itself_are_on_its_own_loop():
    src = ("import asyncio, threading\nclass App:\n    def run(self):\n        return asyncio.run(self._main())\n"
           "    async def _main(self):\n        self.loop = asyncio.get_running_loop()\n        self.spawn()\n"
           "    def spawn(self):\n        loop = self.loop\n        loop.call_soon(print)\n"
           "    def start(self):\n        threading.Thread(target=lambda: self.run()).start()\n")
    assert codes(src, "CCY310") == []
    handed_over = src.replace("return asyncio.run(self._main())",
                              "asyncio.run_coroutine_threadsafe(self._main(), self.loop)")
    assert codes(handed_over, "CCY310") == []  # the coroutine runs on the loop it is sent to
    polled = src + "    def poll(self):\n        self.spawn()\n" \
                   "    def watch(self):\n        threading.Thread(target=self.poll).start()\n"
    assert codes(polled, "CCY310") == [(10, "CCY310")]


def test_counter_of_a_method_submitted_per_event_to_a_pool() -> None:
    # feed() runs once per event: each submit may run _on_event on another worker, alongside
    # the earlier ones; start() hands its method over once, with nothing per call
    source = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "class Listener:\n"
        "    def __init__(self, pool: ThreadPoolExecutor):\n"
        "        self.events = 0\n"
        "        self.runs = 0\n"
        "        self.pool = pool\n"
        "    def feed(self, event):\n"
        "        self.pool.submit(self._on_event, event)\n"
        "    def _on_event(self, event):\n"
        "        self.events += 1\n"
        "class Runner:\n"
        "    def __init__(self, pool: ThreadPoolExecutor):\n"
        "        self.runs = 0\n"
        "        self.pool = pool\n"
        "    def start(self):\n"
        "        self.pool.submit(self._run)\n"
        "    def _run(self):\n"
        "        self.runs += 1\n")
    assert codes(source, "CCY301") == [(10, "CCY301")]

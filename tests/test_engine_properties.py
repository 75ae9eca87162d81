"""Property tests of the engine on generated programs (hypothesmith + hypothesis).

On any program: no internal error, the same findings twice, and every position
inside the file.
"""
from __future__ import annotations

import hypothesmith
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.source import decode_source

EVERYTHING = load_settings(isolated=True, overrides={"preset": "all"})
FAST = hsettings(max_examples=25, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much])

# Concurrency-shaped snippets, so the rules have something to chew on besides the
# grammar-driven programs.
SNIPPETS = [
    "import asyncio, threading, time, queue\n",
    "async def f(x):\n    time.sleep(x)\n    await asyncio.sleep(0)\n",
    "async def g(items):\n    return await asyncio.gather(*(f(i) for i in items), return_exceptions=True)\n",
    "lock = threading.Lock()\ncount = 0\ndef work():\n    global count\n    count += 1\n",
    "threading.Thread(target=work()).start()\n",
    "q = queue.Queue()\nasync def h():\n    try:\n        await f(1)\n    except BaseException:\n        pass\n",
    "async def k():\n    while True:\n        pass\n",
    "def m():\n    asyncio.run(f)\n",
]
programs = st.one_of(
    hypothesmith.from_grammar(),
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6).map("".join),
)


def _check(text: str):
    result = check_source(decode_source(text.encode("utf-8", "surrogatepass"), "generated.py"), EVERYTHING)
    return result


@FAST
@given(programs)
def test_engine_never_fails_and_is_deterministic(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates cannot be a file's contents
    first = _check(text)
    assert not first.tracebacks, first.tracebacks
    assert all(f.code != "CCY003" for f in first.findings)
    second = _check(text)
    assert [(f.code, f.start, f.end, f.message) for f in first.findings] == \
        [(f.code, f.start, f.end, f.message) for f in second.findings]
    lines = text.splitlines() or [""]
    for finding in first.findings:
        assert 1 <= finding.start.line <= max(len(lines), 1)
        assert 1 <= finding.end.line <= max(len(lines), 1) + 1
        assert (finding.start.line, finding.start.column) <= (finding.end.line, finding.end.column)
        if finding.code not in ("CCY001", "CCY002"):
            line = lines[finding.start.line - 1]
            assert finding.start.column <= len(line) + 1

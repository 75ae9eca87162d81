"""The pitfall checklist: the learning material's sections mapped to the rules that catch each
pitfall (``CHECKLIST``), its page, and the codes it names.
"""
from __future__ import annotations

import dataclasses
from typing import List, Optional, Tuple

from ..explain import family_title
from ..findings import Text
from ..rules import ALL_RULES
from .common import GENERATED, _cell, other_language_name

# Labels shown inside f-strings (Babel cannot see a Text call inside one).
_BEYOND_STATIC_ANALYSIS = Text("Beyond static analysis")


@dataclasses.dataclass(frozen=True)
class ChecklistItem:
    section: str  # where it is in the learning material
    title: Text  # the item, translated
    check: Text  # what the material says to check
    rules: Tuple[Tuple[str, Text], ...]  # (code or family prefix, how it relates)
    beyond: Text = Text("")  # what no static rule can see
    # the item as the (Chinese) material words it, when that is not the title's translation
    original: Optional[Text] = None

    @property
    def quote(self) -> str:
        """The material's own words, quoted on the English page."""
        return (self.original or self.title).get("zh")


# The handout is written in Chinese: pages in every language cite its Chinese title.
_HANDOUT = Text("Python concurrency study notes")

CHECKLIST: Tuple[Tuple[Text, Tuple[ChecklistItem, ...]], ...] = (
    (Text("Section 14 — common pitfalls and troubleshooting checklist"), (
        ChecklistItem(
            "14.1",
            Text("Threads changed a shared variable but the result is wrong"),
            Text("Is a `Lock` used?"),
            (
                ("CCY301", Text("a thread target does a read-modify-write (`counter += 1`, check-then-act) "
                                "on shared state outside `with lock:`")),
                ("CCY306", Text("the same lost update between asyncio tasks: read, `await`, then write back")),
                ("CCY305", Text("`lock.acquire()` without a `finally:` that releases it: one exception and "
                                "every other thread waits forever")),
                ("CCY302", Text("`Thread(target=f())`: `f` already ran in the calling thread")),
                ("CCY303", Text("`t.run()` instead of `t.start()`: no second thread at all")),
            ),
        ),
        ChecklistItem(
            "14.2",
            Text("The async function did not run"),
            Text("Is there an `await` / `asyncio.run`?"),
            (
                ("CCY101", Text("a coroutine called without `await`: its body never runs")),
                ("CCY102", Text("a coroutine *function* passed where a coroutine object is needed "
                                "(`asyncio.run(main)`)")),
                ("CCY104", Text("`if fetch():` tests the coroutine object, which is always true")),
                ("CCY103", Text("a task thrown away may be garbage-collected before it finishes")),
            ),
        ),
        ChecklistItem(
            "14.3",
            Text("The program hangs and does not exit"),
            Text("Unconsumed queue, unclosed session, unfinished background task?"),
            (
                ("CCY307", Text("`queue.join()` while no consumer calls `task_done()`: it waits forever")),
                ("CCY701", Text("a client session never closed")),
                ("CCY703", Text("an executor or pool never shut down")),
                ("CCY704", Text("an event loop created by hand and never closed")),
                ("CCY103", Text("a background task nobody keeps, awaits or cancels")),
                ("CCY504", Text("`Future.result()`, `Thread.join()`, `Event.wait()`, `Queue.get()` with no timeout")),
                ("CCY305", Text("a lock acquired and not released on every path")),
                ("CCY2", Text("a blocking call inside `async def` stalls every task of the event loop")),
                ("CCY110", Text("`while True:` in a coroutine that never awaits: the loop never gets control back")),
            ),
        ),
        ChecklistItem(
            "14.4",
            Text("More concurrency makes it slower"),
            Text("Overloaded downstream, network bottleneck, CPU saturated, too many context switches?"),
            (
                ("CCY402", Text("every item started at once with no semaphore: the downstream service is flooded")),
                ("CCY702", Text("a new client session or executor per request: no connection or thread reuse")),
                ("CCY401", Text("an unbounded queue lets a fast producer grow memory without limit")),
                ("CCY2", Text("blocking calls serialise the event loop, so more tasks add only overhead")),
            ),
            Text("CPU saturation and context-switch overhead depend on the workload: measure them "
                 "(section 11, a serial baseline first, then 10/50/100)."),
        ),
        ChecklistItem(
            "14.5",
            Text("Exceptions get lost"),
            Text("Is the Task awaited? Does `gather` swallow exceptions?"),
            (
                ("CCY603", Text("a task bound to a name that is never awaited or checked: its exception is "
                                "never seen")),
                ("CCY103", Text("a task thrown away entirely")),
                ("CCY601", Text("`gather(..., return_exceptions=True)` whose results are never checked")),
                ("CCY604", Text("an executor Future nobody calls `.result()` on")),
                ("CCY602", Text("`except CancelledError` / bare `except:` that does not re-raise")),
            ),
        ),
    )),
    (Text("Section 10 — production practice"), (
        ChecklistItem(
            "10.1",
            Text("Rate limiting (Semaphore)"),
            Text("Bound concurrency with `asyncio.Semaphore`."),
            (
                ("CCY402", Text("fan-out over a collection of unknown size with no semaphore")),
                ("CCY109", Text("the opposite mistake: one `await` per item in a loop, no concurrency at all "
                                "(opt-in)")),
            ),
        ),
        ChecklistItem(
            "10.2",
            Text("Retries with exponential backoff"),
            Text("Back off with `await asyncio.sleep`, re-raise on the last attempt."),
            (
                ("CCY201", Text("`time.sleep()` as the backoff inside `async def` blocks every other task")),
                ("CCY602", Text("a retry loop with bare `except:` also retries cancellation; catch `Exception` "
                                "as the handout does")),
                ("CCY501", Text("a request without a timeout can hang before any retry happens")),
            ),
        ),
        ChecklistItem(
            "10.3",
            Text("Backpressure"),
            Text("Use a bounded queue: `asyncio.Queue(maxsize=1000)`."),
            (
                ("CCY401", Text("a queue made without a positive `maxsize`")),
            ),
        ),
        ChecklistItem(
            "10.4",
            Text("Resource cleanup"),
            Text("`async with` for pools and files; catch `CancelledError` to clean up; close sessions "
                 "and executors on exit."),
            (
                ("CCY701", Text("a client session not used with `async with` and never closed")),
                ("CCY106", Text("`with` on an async resource (or `async with` on a threading lock)")),
                ("CCY204", Text("a plain `open()` inside `async def`: use `aiofiles` as section 9.2 does")),
                ("CCY602", Text("clean up in `except CancelledError:`, then `raise` again")),
                ("CCY703", Text("an executor never shut down")),
                ("CCY704", Text("an event loop never closed")),
            ),
        ),
        ChecklistItem(
            "10.5",
            Text("Logging and troubleshooting"),
            Text("Log task ids, request ids, retry counts and durations; use structured logs."),
            (),
            Text("What to log is a design decision no static rule can check. concurlint's own "
                 "`--output-format json` gives structured findings for your dashboards."),
        ),
    )),
    (Text("Also in the handout"), (
        ChecklistItem(
            "8",
            Text("Timeouts (section 8; interview question 4)"),
            Text("Every wait needs an upper bound: `asyncio.wait_for(..., timeout=1)`."),
            (
                ("CCY501", Text("HTTP, socket, SMTP and FTP calls without a timeout")),
                ("CCY502", Text("`aiohttp.ClientSession()` without `timeout=` (opt-in)")),
                ("CCY503", Text("`subprocess.run()` without `timeout=` (opt-in)")),
                ("CCY504", Text("sync waits without a timeout (opt-in)")),
            ),
            original=Text("Timeout control"),
        ),
        ChecklistItem(
            "4",
            Text("`daemon=True` threads die with the main thread (section 4)"),
            Text("Join the threads whose work matters."),
            (
                ("CCY304", Text("a daemon thread started and never joined (opt-in)")),
            ),
            original=Text("Threads with daemon=True exit with the main thread: unfit for critical work"),
        ),
    )),
)


def _rule_link(code: str, lang: str, base: str) -> str:
    if code in ALL_RULES:
        return f"[{code}]({base}rules/{code}.md) `{ALL_RULES[code].name}`"
    if len(code) == 4 and any(c.startswith(code) for c in ALL_RULES):
        return f"[{code}xx]({base}rules/index.md#{code.lower()}) {_cell(family_title(code, lang))}"
    return f"`{code}`" + Text(" (not available yet)").get(lang)


def checklist_page(lang: str) -> str:
    other = "../checklist.md" if lang == "zh" else "zh/checklist.md"
    out: List[str] = [
        GENERATED, "",
        "# " + Text("Pitfall checklist").get(lang), "",
        f"[{other_language_name(lang)}]({other})", "",
        Text("The course handout (*{handout}*) ends with a troubleshooting checklist "
             "(section 14) and a list of production practices (section 10). This page maps each "
             "item to the concurlint rules that catch it, so a finding can be read as "
             "\"which item of the checklist did I miss?\". Run `concurlint check --preset learn` "
             "to enable every rule, including the opt-in ones.").format(handout=_HANDOUT.get("zh")).get(lang), "",
    ]
    number = 0
    for section_title, items in CHECKLIST:
        out += [f"## {section_title.get(lang)}", ""]
        for item in items:
            number += 1
            out += [f"### {item.section}. {item.title.get(lang)} {{#item-{number}}}", ""]
            if lang == "en":
                out += [f"> {item.quote} — {item.check.get('en')}", ""]
            else:
                out += [f"> {item.check.get('zh')}", ""]
            if item.rules:
                out += ["| " + Text("Rule").get(lang) + " | " + Text("What it catches").get(lang) + " |",
                        "|---|---|"]
                for code, note in item.rules:
                    out.append(f"| {_rule_link(code, lang, '')} | {_cell(note.get(lang))} |")
                out.append("")
            if item.beyond.get(lang):
                out += [f"*{_BEYOND_STATIC_ANALYSIS.get(lang)}:* {item.beyond.get(lang)}", ""]
    return "\n".join(out).rstrip() + "\n"


def checklist_codes() -> List[str]:
    return [code for _, items in CHECKLIST for item in items for code, _ in item.rules]


# ------------------------------------------------------------------ CLI reference

"""The pitfall checklist: the learning material's sections mapped to the rules that catch each
pitfall (``CHECKLIST``), its page, and the codes it names.
"""
from __future__ import annotations

import dataclasses
from typing import List, Tuple

from ..explain import family_title
from ..findings import Text
from ..rules import ALL_RULES
from .common import GENERATED, _cell, _t


@dataclasses.dataclass(frozen=True)
class ChecklistItem:
    section: str  # where it is in the learning material
    quote: str  # the item as the material words it (Chinese)
    title: Text  # the item in English / Chinese
    check: Text  # what the material says to check
    rules: Tuple[Tuple[str, Text], ...]  # (code or family prefix, how it relates)
    beyond: Text = Text("", "")  # what no static rule can see


def _r(code: str, en: str, zh: str) -> Tuple[str, Text]:
    return code, Text(en, zh)


CHECKLIST: Tuple[Tuple[Text, Tuple[ChecklistItem, ...]], ...] = (
    (Text("Section 14 — common pitfalls and troubleshooting checklist"), (
        ChecklistItem(
            "14.1", "线程改了共享变量但结果不对",
            Text("Threads changed a shared variable but the result is wrong"),
            Text("Is a `Lock` used?"),
            (
                _r("CCY301", "a thread target does a read-modify-write (`counter += 1`, check-then-act) "
                   "on shared state outside `with lock:`",
                   "线程目标函数在 `with lock:` 之外对共享状态做读-改-写(`counter += 1`、先检查后操作)"),
                _r("CCY306", "the same lost update between asyncio tasks: read, `await`, then write back",
                   "asyncio 任务之间同样的更新丢失:读取、`await`、再写回"),
                _r("CCY305", "`lock.acquire()` without a `finally:` that releases it: one exception and "
                   "every other thread waits forever",
                   "`lock.acquire()` 之后没有在 `finally:` 中释放:一次异常就让其他线程永远等待"),
                _r("CCY302", "`Thread(target=f())`: `f` already ran in the calling thread",
                   "`Thread(target=f())`:`f` 已经在调用方线程中执行了"),
                _r("CCY303", "`t.run()` instead of `t.start()`: no second thread at all",
                   "调用 `t.run()` 而不是 `t.start()`:根本没有启动新线程"),
            ),
        ),
        ChecklistItem(
            "14.2", "async 函数没执行",
            Text("The async function did not run"),
            Text("Is there an `await` / `asyncio.run`?"),
            (
                _r("CCY101", "a coroutine called without `await`: its body never runs",
                   "调用协程却没有 `await`:函数体根本不会执行"),
                _r("CCY102", "a coroutine *function* passed where a coroutine object is needed "
                   "(`asyncio.run(main)`)",
                   "在需要协程对象的地方传入了协程 *函数*(`asyncio.run(main)`)"),
                _r("CCY104", "`if fetch():` tests the coroutine object, which is always true",
                   "`if fetch():` 检测的是协程对象本身,永远为真"),
                _r("CCY103", "a task thrown away may be garbage-collected before it finishes",
                   "被丢弃的 task 可能在完成前就被垃圾回收"),
            ),
        ),
        ChecklistItem(
            "14.3", "程序卡住不退出",
            Text("The program hangs and does not exit"),
            Text("Unconsumed queue, unclosed session, unfinished background task?"),
            (
                _r("CCY307", "`queue.join()` while no consumer calls `task_done()`: it waits forever",
                   "调用 `queue.join()`,但没有消费者调用 `task_done()`:永远等待"),
                _r("CCY701", "a client session never closed", "client session 从未关闭"),
                _r("CCY703", "an executor or pool never shut down", "executor 或进程池从未关闭"),
                _r("CCY704", "an event loop created by hand and never closed", "手动创建的事件循环从未关闭"),
                _r("CCY103", "a background task nobody keeps, awaits or cancels",
                   "没有任何地方保存、await 或取消的后台 task"),
                _r("CCY504", "`Future.result()`, `Thread.join()`, `Event.wait()`, `Queue.get()` with no timeout",
                   "没有超时的 `Future.result()`、`Thread.join()`、`Event.wait()`、`Queue.get()`"),
                _r("CCY305", "a lock acquired and not released on every path", "获取锁后并非在所有路径上都释放"),
                _r("CCY2", "a blocking call inside `async def` stalls every task of the event loop",
                   "`async def` 中的阻塞调用会让事件循环里的所有任务停住"),
                _r("CCY110", "`while True:` in a coroutine that never awaits: the loop never gets control back",
                   "协程中永不 await 的 `while True:`:事件循环再也拿不回控制权"),
            ),
        ),
        ChecklistItem(
            "14.4", "并发越高越慢",
            Text("More concurrency makes it slower"),
            Text("Overloaded downstream, network bottleneck, CPU saturated, too many context switches?"),
            (
                _r("CCY402", "every item started at once with no semaphore: the downstream service is flooded",
                   "所有任务一次性启动且没有信号量限流:下游服务被打爆"),
                _r("CCY702", "a new client session or executor per request: no connection or thread reuse",
                   "每个请求新建 client session 或 executor:连接和线程无法复用"),
                _r("CCY401", "an unbounded queue lets a fast producer grow memory without limit",
                   "无界队列让快速的生产者无限制地占用内存"),
                _r("CCY2", "blocking calls serialise the event loop, so more tasks add only overhead",
                   "阻塞调用让事件循环串行化,任务越多只是开销越大"),
            ),
            Text("CPU saturation and context-switch overhead depend on the workload: measure them "
                 "(section 11, a serial baseline first, then 10/50/100)."),
        ),
        ChecklistItem(
            "14.5", "异常丢失",
            Text("Exceptions get lost"),
            Text("Is the Task awaited? Does `gather` swallow exceptions?"),
            (
                _r("CCY603", "a task bound to a name that is never awaited or checked: its exception is never seen",
                   "赋值给变量却从未 await 或检查的 task:它的异常永远不会被看到"),
                _r("CCY103", "a task thrown away entirely", "被直接丢弃的 task"),
                _r("CCY601", "`gather(..., return_exceptions=True)` whose results are never checked",
                   "`gather(..., return_exceptions=True)` 的结果从未被检查"),
                _r("CCY604", "an executor Future nobody calls `.result()` on", "没有人调用 `.result()` 的 executor Future"),
                _r("CCY602", "`except CancelledError` / bare `except:` that does not re-raise",
                   "不重新抛出的 `except CancelledError` / 裸 `except:`"),
            ),
        ),
    )),
    (Text("Section 10 — production practice"), (
        ChecklistItem(
            "10.1", "限流(Semaphore)",
            Text("Rate limiting (Semaphore)"),
            Text("Bound concurrency with `asyncio.Semaphore`."),
            (
                _r("CCY402", "fan-out over a collection of unknown size with no semaphore",
                   "对大小未知的集合扇出且没有信号量"),
                _r("CCY109", "the opposite mistake: one `await` per item in a loop, no concurrency at all (opt-in)",
                   "相反的错误:循环中逐个 `await`,完全没有并发(可选规则)"),
            ),
        ),
        ChecklistItem(
            "10.2", "重试(指数退避)",
            Text("Retries with exponential backoff"),
            Text("Back off with `await asyncio.sleep`, re-raise on the last attempt."),
            (
                _r("CCY201", "`time.sleep()` as the backoff inside `async def` blocks every other task",
                   "在 `async def` 中用 `time.sleep()` 退避会阻塞所有其他任务"),
                _r("CCY602", "a retry loop with bare `except:` also retries cancellation; catch `Exception` "
                   "as the handout does",
                   "使用裸 `except:` 的重试循环连取消也会重试;像讲义那样捕获 `Exception`"),
                _r("CCY501", "a request without a timeout can hang before any retry happens",
                   "没有超时的请求可能在重试之前就一直挂起"),
            ),
        ),
        ChecklistItem(
            "10.3", "背压",
            Text("Backpressure"),
            Text("Use a bounded queue: `asyncio.Queue(maxsize=1000)`."),
            (
                _r("CCY401", "a queue made without a positive `maxsize`", "创建队列时没有给出正的 `maxsize`"),
            ),
        ),
        ChecklistItem(
            "10.4", "资源清理",
            Text("Resource cleanup"),
            Text("`async with` for pools and files; catch `CancelledError` to clean up; close sessions "
                 "and executors on exit."),
            (
                _r("CCY701", "a client session not used with `async with` and never closed",
                   "client session 没有用 `async with`,也从未关闭"),
                _r("CCY106", "`with` on an async resource (or `async with` on a threading lock)",
                   "对异步资源用了 `with`(或对 threading 锁用了 `async with`)"),
                _r("CCY204", "a plain `open()` inside `async def`: use `aiofiles` as section 9.2 does",
                   "在 `async def` 中使用普通 `open()`:像 9.2 节那样使用 `aiofiles`"),
                _r("CCY602", "clean up in `except CancelledError:`, then `raise` again",
                   "在 `except CancelledError:` 中清理后要再次 `raise`"),
                _r("CCY703", "an executor never shut down", "executor 从未关闭"),
                _r("CCY704", "an event loop never closed", "事件循环从未关闭"),
            ),
        ),
        ChecklistItem(
            "10.5", "日志与排错",
            Text("Logging and troubleshooting"),
            Text("Log task ids, request ids, retry counts and durations; use structured logs."),
            (),
            Text("What to log is a design decision no static rule can check. concurlint's own "
                 "`--output-format json` gives structured findings for your dashboards."),
        ),
    )),
    (Text("Also in the handout"), (
        ChecklistItem(
            "8", "超时控制",
            Text("Timeouts (section 8; interview question 4)"),
            Text("Every wait needs an upper bound: `asyncio.wait_for(..., timeout=1)`."),
            (
                _r("CCY501", "HTTP, socket, SMTP and FTP calls without a timeout", "没有超时的 HTTP、socket、SMTP、FTP 调用"),
                _r("CCY502", "`aiohttp.ClientSession()` without `timeout=` (opt-in)",
                   "没有 `timeout=` 的 `aiohttp.ClientSession()`(可选规则)"),
                _r("CCY503", "`subprocess.run()` without `timeout=` (opt-in)", "没有 `timeout=` 的 `subprocess.run()`(可选规则)"),
                _r("CCY504", "sync waits without a timeout (opt-in)", "没有超时的同步等待(可选规则)"),
            ),
        ),
        ChecklistItem(
            "4", "daemon=True 的线程随主线程退出,不适合关键任务",
            Text("`daemon=True` threads die with the main thread (section 4)"),
            Text("Join the threads whose work matters."),
            (
                _r("CCY304", "a daemon thread started and never joined (opt-in)", "启动后从未 join 的 daemon 线程(可选规则)"),
            ),
        ),
    )),
)


def _rule_link(code: str, lang: str, base: str) -> str:
    if code in ALL_RULES:
        return f"[{code}]({base}rules/{code}.md) `{ALL_RULES[code].name}`"
    if len(code) == 4 and any(c.startswith(code) for c in ALL_RULES):
        return f"[{code}xx]({base}rules/index.md#{code.lower()}) {_cell(family_title(code, lang))}"
    return f"`{code}`" + _t(" (not available yet)", "(尚未实现)", lang)


def checklist_page(lang: str) -> str:
    other = "../checklist.md" if lang == "zh" else "zh/checklist.md"
    out: List[str] = [
        GENERATED, "",
        "# " + _t("Pitfall checklist", "常见坑清单", lang), "",
        f"[{_t('中文', 'English', lang)}]({other})", "",
        _t("The course handout (*Python 并发学习讲义*) ends with a troubleshooting checklist "
           "(section 14) and a list of production practices (section 10). This page maps each "
           "item to the concurlint rules that catch it, so a finding can be read as "
           "\"which item of the checklist did I miss?\". Run `concurlint check --preset learn` "
           "to enable every rule, including the opt-in ones.",
           "课程讲义《Python 并发学习讲义》最后有一份排查清单(第 14 节)和一份生产实践清单"
           "(第 10 节)。本页把每一项对应到能发现它的 concurlint 规则,于是每个检查结果都可以理解为"
           "“我漏掉了清单里的哪一项?”。运行 `concurlint check --preset learn --lang zh` "
           "可启用全部规则(包括可选规则)。", lang), "",
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
                out += ["| " + _t("Rule", "规则", lang) + " | " + _t("What it catches", "能发现什么", lang) + " |",
                        "|---|---|"]
                for code, note in item.rules:
                    out.append(f"| {_rule_link(code, lang, '')} | {_cell(note.get(lang))} |")
                out.append("")
            if item.beyond.get(lang):
                out += [f"*{_t('Beyond static analysis', '静态分析之外', lang)}:* {item.beyond.get(lang)}", ""]
    return "\n".join(out).rstrip() + "\n"


def checklist_codes() -> List[str]:
    return [code for _, items in CHECKLIST for item in items for code, _ in item.rules]


# ------------------------------------------------------------------ CLI reference

"""The HTML audit report: content, escaping, self-containment, and (integration) how it
renders in a real headless Chromium, including the family filter read from the URL."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from click.testing import CliRunner

from concurlint.cli import main
from concurlint.config import load_settings
from concurlint.findings import Finding, Position, Text
from concurlint.reporters import Report
from concurlint.reporters.html import _mark_line, excerpt, render_html, words
from concurlint.runner import run

EXERCISES = {
    "day2_downloader.py": '''\
import threading
import time

done = 0


def download(name):
    global done
    time.sleep(0.1)
    done += 1


threads = [threading.Thread(target=download, args=(f"T{i}",)) for i in range(5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(done)
''',
    "day5_async.py": '''\
import asyncio
import time


async def work(i):
    time.sleep(1)
    return f"task-{i}"


async def main():
    work(0)
    results = await asyncio.gather(*(work(i) for i in range(3)))
    print(results)


asyncio.run(main())
''',
    "day6_crawler.py": '''\
import asyncio

import requests

queue = asyncio.Queue()


async def fetch(url):
    return requests.get(url).text


async def crawl(urls):
    await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
''',
    # a hostile name and hostile code: everything must be escaped
    'we<ird>&"quote\'s.py': '''\
import time


async def handler():
    banner = "</script><script>alert('x')</script><b>bold</b>"
    time.sleep(1)
    return banner
''',
    "clean_example.py": '''\
import asyncio


async def main():
    await asyncio.sleep(1)
''',
}


class Collector(HTMLParser):
    """Every element's tag and attributes, plus the text inside each finding's excerpt."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: List[Tuple[str, Dict[str, Optional[str]]]] = []
        self.text: List[str] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, css: str) -> List[Dict[str, Optional[str]]]:
        return [a for _, a in self.elements if css in (a.get("class") or "").split()]

    def by_id(self, ident: str) -> Optional[Dict[str, Optional[str]]]:
        return next((a for _, a in self.elements if a.get("id") == ident), None)

    def tag(self, name: str) -> List[Dict[str, Optional[str]]]:
        return [a for t, a in self.elements if t == name]


def parse(text: str) -> Collector:
    collector = Collector()
    collector.feed(text)
    return collector


@pytest.fixture()
def exercises(tmp_path: Path) -> Path:
    folder = tmp_path / "exercises"
    folder.mkdir()
    for name, code in EXERCISES.items():
        (folder / name).write_text(code, encoding="utf-8")
    return folder


def expected_findings(folder: Path, preset: str = "default") -> List[Finding]:
    settings = load_settings([str(folder)], None, True, {"preset": preset})
    return run([str(folder)], settings).findings


def make_report(folder: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, ["report", str(folder), "--html", str(out), "--isolated", *extra],
                                env={"CI": "1"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_every_finding_is_in_the_report(exercises: Path, tmp_path: Path) -> None:
    findings = expected_findings(exercises)
    families = {f.code[:4] for f in findings}
    assert len(findings) >= 5 and len(families) >= 2, findings  # a meaningful exercise folder
    page = parse(make_report(exercises, tmp_path / "report.html"))
    articles = page.with_class("finding")
    assert len(articles) == len(findings)
    got = {(a["data-path"], int(a["data-line"] or 0), int(a["data-column"] or 0), a["data-code"]) for a in articles}
    assert got == {(f.path, f.line, f.column, f.code) for f in findings}
    for number, finding in enumerate(findings, start=1):
        article = page.by_id(f"finding-{number}")
        assert article is not None and article["data-family"] == finding.code[:4]
    # the summary and the charts
    body = page.tag("body")[0]
    assert body["data-findings"] == str(len(findings)) and body["data-files-checked"] == str(len(EXERCISES))
    bars = [a for a in page.with_class("bar") if a.get("data-chart-family")]
    assert {b["data-chart-family"] for b in bars} == families
    assert sum(int(b["data-value"] or 0) for b in bars) == len(findings)
    assert page.by_id("chart-files") is not None
    # one filter per family, and each triggered rule explained once
    assert {a["data-family"] for _, a in page.elements if _ == "input" and a.get("data-family")} == families
    assert sorted(a["id"] for a in page.with_class("rule")) == sorted({f"rule-{f.code}" for f in findings})
    assert len(page.with_class("explanation")) == len(findings)


def test_explanations_and_fixes_are_shown(exercises: Path, tmp_path: Path) -> None:
    from concurlint.rules import ALL_RULES

    text = make_report(exercises, tmp_path / "report.html")
    findings = expected_findings(exercises)
    for code in {f.code for f in findings}:
        rule = ALL_RULES[code]
        assert f'id="rule-{code}"' in text
        if rule.why.en:
            first_words = rule.why.en.split("`")[0][:30]
            assert first_words.replace("'", "&#x27;").replace('"', "&quot;") in text
    if any(f.fix is not None for f in findings):
        assert 'class="fix"' in text


def test_everything_is_escaped(exercises: Path, tmp_path: Path) -> None:
    text = make_report(exercises, tmp_path / "report.html")
    assert "<script>alert" not in text and "<b>bold</b>" not in text
    assert "&lt;/script&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert 'we&lt;ird&gt;&amp;&quot;quote&#x27;s.py' in text
    assert text.count("<script>") == 1  # only our own script
    page = parse(text)
    weird = [a for a in page.with_class("file-group") if "we<ird>" in (a["data-path"] or "")]
    assert len(weird) == 1 and weird[0]["data-path"].endswith('we<ird>&"quote\'s.py')


def test_self_contained(exercises: Path, tmp_path: Path) -> None:
    text = make_report(exercises, tmp_path / "report.html")
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    lowered = text.lower()
    for needle in ("<link", "<img", "<iframe", "@import", 'src="http', "src='http", 'href="http', "//cdn"):
        assert needle not in lowered, needle
    # CSS may not fetch anything either (prose such as "redis.from_url()" may say url( freely)
    styles = re.findall(r"<style[^>]*>(.*?)</style>|style=\"([^\"]*)\"", lowered, flags=re.S)
    assert styles and not any("url(" in block for pair in styles for block in pair)
    page = parse(text)
    for _, attrs in page.elements:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (name, value)


def test_clean_project(tmp_path: Path) -> None:
    folder = tmp_path / "good"
    folder.mkdir()
    (folder / "ok.py").write_text(EXERCISES["clean_example.py"])
    text = make_report(folder, tmp_path / "clean.html")
    page = parse(text)
    assert page.by_id("clean") is not None and "No pitfalls found" in text
    assert "checked 1 file and found no concurrency pitfalls" in text
    assert not page.with_class("finding") and page.by_id("filters") is None
    zh = make_report(folder, tmp_path / "clean-zh.html", "--lang", "zh")
    assert "没有发现并发陷阱" in zh and '<html lang="zh-CN">' in zh


def test_chinese_report(exercises: Path, tmp_path: Path) -> None:
    text = make_report(exercises, tmp_path / "zh.html", "--lang", "zh")
    assert '<html lang="zh-CN">' in text and words("zh")["why"] in text and "按类别统计" in text
    assert "阻塞事件循环" in text  # a Chinese message


def test_cli_errors(tmp_path: Path, exercises: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(exercises), "--html", str(tmp_path / "missing" / "r.html")])
    assert result.exit_code == 2 and "does not exist" in result.output
    result = CliRunner().invoke(main, ["report", str(exercises)])
    assert result.exit_code == 2  # --html is required
    result = CliRunner().invoke(main, ["report", "-", "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "standard input" in result.output


def test_mark_line() -> None:
    assert _mark_line("x = a<b", 4, 7) == 'x = <mark class="span">a&lt;b</mark>'
    assert _mark_line("abc", None, None) == "abc"
    assert _mark_line("abc", 1, None) == 'a<mark class="span">bc</mark>'
    assert '<mark class="span span-empty">' in _mark_line("abc", 3, 3)


def test_multiline_excerpt() -> None:
    lines = [f"    line{i}" if i == 6 else f"line{i}" for i in range(1, 31)]
    finding = Finding("f.py", "CCY201", Text("m"), Position(5, 3), Position(20, 4))
    out = excerpt(finding, lines, words("en"))
    assert 'data-line="3"' in out and 'data-line="22"' in out and 'data-line="23"' not in out
    assert "⋮" in out  # a long span is elided
    assert '    <mark class="span">line6</mark>' in out  # indentation is not marked
    assert 'li<mark class="span">ne5</mark>' in out and '<mark class="span">lin</mark>e20' in out
    missing = excerpt(finding, [], words("en"))
    assert "source not available" in missing


def test_file_chart_is_capped() -> None:
    findings = [Finding(f"pkg/m{i:02d}.py", "CCY201", Text("m"), Position(1, 1), Position(1, 2)) for i in range(20)]
    text = render_html(Report(findings, 20, "en"))
    page = parse(text)
    assert len([b for b in page.with_class("bar") if not b.get("data-chart-family")]) == 15
    assert "and 5 more files" in text
    assert len(page.with_class("finding")) == 20


@pytest.mark.parametrize("files, lang, note", [
    (16, "en", "and 1 more file<"), (17, "en", "and 2 more files"), (16, "zh", "以及另外 1 个文件"),
])
def test_the_chart_note_counts_the_files_left_out_in_the_readers_language(files, lang, note) -> None:
    findings = [Finding(f"pkg/m{i:02d}.py", "CCY201", Text("m"), Position(1, 1), Position(1, 2))
                for i in range(files)]
    assert note in render_html(Report(findings, files, lang))


def test_render_is_deterministic(exercises: Path) -> None:
    findings = expected_findings(exercises)
    report = Report(findings, 5, "en", lambda path: Path(path).read_text().splitlines())
    assert render_html(report) == render_html(report)


# ------------------------------------------------------------------ headless Chromium
def chromium() -> Optional[str]:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def browse(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    binary = chromium()
    assert binary is not None
    profile = tmp_path / "chromium-profile"
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
               f"--user-data-dir={profile}", *args, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def dump_dom(path: Path, tmp_path: Path, suffix: str = "") -> Collector:
    result = browse(path.as_uri() + suffix, tmp_path, "--dump-dom")
    assert result.returncode == 0 and "<body" in result.stdout, result.stderr[-2000:]
    return parse(result.stdout)


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="Chromium not found (Debian: apt-get install -y chromium)")


@pytest.mark.integration
@needs_chromium
def test_report_renders_in_chromium(exercises: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    make_report(exercises, out)
    findings = expected_findings(exercises)
    dom = dump_dom(out, tmp_path)
    body = dom.tag("body")[0]
    assert body.get("data-ready") == "true", "the report's script did not run"
    assert body.get("data-filter") == "all" and body.get("data-shown") == str(len(findings))
    articles = dom.with_class("finding")
    assert len(articles) == len(findings)
    assert all("hidden" not in a for a in articles)
    assert {(a["data-code"], a["data-line"]) for a in articles} == {(f.code, str(f.line)) for f in findings}
    assert dom.by_id("chart-family") is not None and dom.by_id("chart-files") is not None
    assert len(dom.with_class("explanation")) == len(findings)

    screenshot = tmp_path / "report.png"
    shot = browse(out.as_uri(), tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2000",
                  "--hide-scrollbars")
    assert shot.returncode == 0, shot.stderr[-2000:]
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    artifacts = os.environ.get("CONCURLINT_TEST_ARTIFACTS")
    if artifacts:  # keep the screenshot for a human to look at
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(artifacts) / "report.png")


@pytest.mark.integration
@needs_chromium
@pytest.mark.parametrize("suffix", ["#family=CCY2", "?family=ccy2"])
def test_family_filter_from_the_url(exercises: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / "report.html"
    make_report(exercises, out)
    findings = expected_findings(exercises)
    blocking = [f for f in findings if f.code.startswith("CCY2")]
    assert blocking and len(blocking) < len(findings)
    dom = dump_dom(out, tmp_path, suffix)
    body = dom.tag("body")[0]
    assert body.get("data-filter") == "CCY2" and body.get("data-shown") == str(len(blocking))
    for article in dom.with_class("finding"):
        assert ("hidden" in article) == (article["data-family"] != "CCY2"), article
    dimmed = {a["data-chart-family"] for a in dom.with_class("dim")}
    assert dimmed == {f.code[:4] for f in findings} - {"CCY2"}  # the chart follows the filter
    groups = dom.with_class("file-group")
    assert all(("hidden" in g) == ("CCY2" not in (g["data-families"] or "")) for g in groups)


@pytest.mark.integration
@needs_chromium
def test_clean_page_in_chromium(tmp_path: Path) -> None:
    folder = tmp_path / "good"
    folder.mkdir()
    (folder / "ok.py").write_text(EXERCISES["clean_example.py"])
    out = tmp_path / "clean.html"
    make_report(folder, out)
    dom = dump_dom(out, tmp_path)
    assert dom.by_id("clean") is not None and dom.tag("body")[0].get("data-ready") == "true"
    assert not dom.with_class("finding")


def test_displayed_paths_are_relative_to_the_checked_folder(exercises: Path, tmp_path: Path) -> None:
    from concurlint.reporters.html import display_base, display_path

    base = display_base([str(exercises)])
    assert base == str(exercises)
    assert display_path(str(exercises / "a" / "b.py"), base) == "a/b.py"
    assert display_path("/elsewhere/c.py", base) == "/elsewhere/c.py"
    assert display_base([str(exercises / "day5_async.py"), str(exercises / "day6_crawler.py")]) == str(exercises)
    text = make_report(exercises, tmp_path / "report.html")
    assert '<h2 class="path" title="' + str(exercises / "day5_async.py") + '">day5_async.py ' in text

"""``concurlint server``: the real server process over stdio, driven by pytest-lsp's client."""
from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import pytest

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from test_supervision import slow_file

ENV = {**os.environ, "LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C", "CONCURLINT_LANG": ""}
SERVER = [sys.executable, "-m", "concurlint", "server"]
# A rule that crashes on every call (the test of "a crash becomes CCY003"), in the real server.
CRASHING_SERVER = [sys.executable, "-c", (
    "import concurlint.rules as r\n"
    "rule = r.ALL_RULES['CCY201']\n"
    "def boom(self, node): raise RuntimeError('rule exploded')\n"
    "rule.visit_Call = boom\n"
    "from concurlint.cli import main\n"
    "main(['server'])\n")]

BLOCKING = "import asyncio\nimport time\n\n\nasync def handler():\n    time.sleep(1)\n"
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS


def capabilities(pull: bool = False) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            configuration=True, diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=pull)),
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities() if pull else None),
    )


async def start(client: LanguageClient, root: Path, pull: bool = False, locale: Optional[str] = None) -> None:
    (root / "pyproject.toml").write_text("[tool.concurlint]\nfile-timeout = 5\n")  # the pathological test
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(pull), locale=locale, root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")]))


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    await start(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def pulling(lsp_client: LanguageClient, tmp_path: Path):
    await start(lsp_client, tmp_path, pull=True, locale="zh-CN")
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=CRASHING_SERVER, server_env=ENV))
async def crashing(lsp_client: LanguageClient, tmp_path: Path):
    await start(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


# ---------------------------------------------------------------------- helpers
def open_file(client: LanguageClient, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    return uri


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))


async def until(client: LanguageClient, condition: Callable[[], bool], limit: float = 120) -> None:
    """Wait for published diagnostics until ``condition`` holds (fails after ``limit`` s)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"still waiting; diagnostics: {client.diagnostics}"
        try:
            await asyncio.wait_for(client.wait_for_notification(PUBLISH), 0.5)
        except asyncio.TimeoutError:
            pass


def codes(client: LanguageClient, uri: str) -> List[str]:
    return [str(d.code) for d in client.diagnostics.get(uri, [])]


async def diagnosed(client: LanguageClient, uri: str) -> List[types.Diagnostic]:
    await until(client, lambda: uri in client.diagnostics)
    return list(client.diagnostics[uri])


def apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP text edits (positions in UTF-16 units; ASCII text here) to ``text``."""
    lines = text.splitlines(True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: types.Position) -> int:
        return offsets[min(position.line, len(lines))] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def actions(client: LanguageClient, uri: str, diagnostic: types.Diagnostic,
                  only: Optional[List[str]] = None) -> Dict[str, types.CodeAction]:
    found = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic], only=only)))
    return {a.title: a for a in found or [] if isinstance(a, types.CodeAction)}


def edits_of(action: types.CodeAction, uri: str) -> List[types.TextEdit]:
    assert action.edit is not None and action.edit.changes is not None
    return list(action.edit.changes[uri])


# ---------------------------------------------------------------------- diagnostics
@pytest.mark.asyncio
async def test_diagnostics_are_for_the_buffer_not_the_file_on_disk(client: LanguageClient, tmp_path: Path):
    path = tmp_path / "app.py"
    path.write_text("async def handler():\n    pass\n")  # clean on disk
    uri = open_file(client, path, BLOCKING)
    [diagnostic] = await diagnosed(client, uri)
    assert diagnostic.code == "CCY201"
    assert diagnostic.source == "concurlint"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning  # the suspicious group
    assert diagnostic.range == types.Range(types.Position(5, 4), types.Position(5, 17))
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.endswith("/rules/CCY201.html")
    assert "time.sleep" in diagnostic.message

    change(client, uri, 2, "async def handler():\n    pass\n")
    await until(client, lambda: codes(client, uri) == [])


@pytest.mark.asyncio
async def test_columns_are_in_utf16_units(client: LanguageClient, tmp_path: Path):
    # an astral character counts twice in UTF-16 (the LSP default), once in Python
    uri = open_file(client, tmp_path / "app.py", BLOCKING.replace("    time.sleep", "    '\U0001F600'; time.sleep"))
    [diagnostic] = await diagnosed(client, uri)
    assert diagnostic.range == types.Range(types.Position(5, 10), types.Position(5, 23))


@pytest.mark.asyncio
async def test_quick_fix_applied_removes_the_diagnostic(client: LanguageClient, tmp_path: Path):
    uri = open_file(client, tmp_path / "app.py", BLOCKING)
    [diagnostic] = await diagnosed(client, uri)
    offered = await actions(client, uri, diagnostic)
    [fix] = [a for title, a in offered.items() if "asyncio.sleep" in title]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    fixed = apply(BLOCKING, edits_of(fix, uri))
    assert "    await asyncio.sleep(1)\n" in fixed
    change(client, uri, 2, fixed)
    await until(client, lambda: "CCY201" not in codes(client, uri))


@pytest.mark.asyncio
async def test_unsafe_fix_offered_only_when_configured(client: LanguageClient, tmp_path: Path):
    text = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"  # no async import: asyncio is a guess, the fix unsafe
    uri = open_file(client, tmp_path / "app.py", text)
    [diagnostic] = await diagnosed(client, uri)
    assert [t for t in await actions(client, uri, diagnostic) if "asyncio.sleep" in t] == []
    before = client.diagnostics[uri]
    client.set_configuration({"unsafeFixes": True}, section="concurlint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await until(client, lambda: client.diagnostics[uri] is not before)  # checked again: settings read
    offered = await actions(client, uri, diagnostic)
    [(title, fix)] = [(t, a) for t, a in offered.items() if "asyncio.sleep" in t]
    assert title.endswith("(unsafe)") and not fix.is_preferred
    assert apply(text, edits_of(fix, uri)).startswith("import asyncio\nimport time\n")


@pytest.mark.asyncio
async def test_noqa_action_suppresses_the_finding(client: LanguageClient, tmp_path: Path):
    uri = open_file(client, tmp_path / "app.py", BLOCKING)
    [diagnostic] = await diagnosed(client, uri)
    offered = await actions(client, uri, diagnostic)
    noqa = offered["Suppress CCY201 with # noqa: CCY201"]
    suppressed = apply(BLOCKING, edits_of(noqa, uri))
    assert suppressed.endswith("    time.sleep(1)  # noqa: CCY201\n")
    change(client, uri, 2, suppressed)
    await until(client, lambda: codes(client, uri) == [])


@pytest.mark.asyncio
async def test_fix_all_source_action(client: LanguageClient, tmp_path: Path):
    text = "import asyncio\nimport time\n\n\nasync def handler():\n    time.sleep(1)\n    asyncio.sleep(1)\n"
    uri = open_file(client, tmp_path / "app.py", text)
    await until(client, lambda: sorted(codes(client, uri)) == ["CCY101", "CCY201"])
    whole = types.Diagnostic(range=types.Range(types.Position(0, 0), types.Position(7, 0)), message="")
    offered = await actions(client, uri, whole, only=[types.CodeActionKind.SourceFixAll])
    [fix_all] = offered.values()
    assert fix_all.kind == "source.fixAll.concurlint"
    fixed = apply(text, edits_of(fix_all, uri))
    assert fixed.endswith("    await asyncio.sleep(1)\n    await asyncio.sleep(1)\n")
    change(client, uri, 2, fixed)
    await until(client, lambda: codes(client, uri) == [])


# ---------------------------------------------------------------------- hover, languages
@pytest.mark.asyncio
async def test_hover_explains_the_rule_in_english_then_chinese(client: LanguageClient, tmp_path: Path):
    uri = open_file(client, tmp_path / "app.py", BLOCKING)
    [diagnostic] = await diagnosed(client, uri)

    async def hover() -> str:
        found = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri=uri), types.Position(5, 8)))
        assert found is not None and isinstance(found.contents, types.MarkupContent)
        return found.contents.value

    english = await hover()
    assert "CCY201 blocking-sleep" in english and "Why is this bad?" in english
    assert "/rules/CCY201.html" in english
    nothing = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri=uri), types.Position(0, 2)))
    assert nothing is None

    client.set_configuration({"lang": "zh"}, section="concurlint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await until(client, lambda: diagnostic.message != client.diagnostics[uri][0].message)
    assert "time.sleep" in client.diagnostics[uri][0].message
    chinese = await hover()
    assert "为什么有问题?" in chinese and "Why is this bad?" not in chinese


@pytest.mark.asyncio
async def test_pull_diagnostics_in_the_client_locale(pulling: LanguageClient, tmp_path: Path):
    uri = open_file(pulling, tmp_path / "app.py", BLOCKING)
    report = await pulling.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    [diagnostic] = report.items
    assert diagnostic.code == "CCY201"
    assert "阻塞" in diagnostic.message  # zh-CN client: Chinese messages
    again = await pulling.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id))
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    assert pulling.diagnostics == {}  # a pulling client is not sent the same findings twice

    pulling.set_configuration({"lang": "en"}, section="concurlint")
    pulling.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    for _ in range(1200):  # the server asks the client to pull again
        if pulling.diagnostic_refresh_count:
            break
        await asyncio.sleep(0.1)
    assert pulling.diagnostic_refresh_count == 1
    report = await pulling.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert "blocks the event loop" in report.items[0].message


# ---------------------------------------------------------------------- never blocks, never dies
@pytest.mark.asyncio
async def test_pathological_buffer_gets_ccy004_while_others_are_served(client: LanguageClient, tmp_path: Path):
    slow = open_file(client, tmp_path / "slow.py", slow_file(6000))
    good = open_file(client, tmp_path / "good.py", BLOCKING)
    await until(client, lambda: good in client.diagnostics)
    assert codes(client, good) == ["CCY201"]
    assert slow not in client.diagnostics  # still being analysed: it did not hold the other buffer up
    await until(client, lambda: slow in client.diagnostics)
    [skipped] = client.diagnostics[slow]
    assert skipped.code == "CCY004" and "file-timeout (5 s)" in skipped.message
    assert await actions(client, slow, skipped) == {}  # nothing to fix, and a noqa would not silence it
    change(client, good, 2, BLOCKING + "\n\nasync def other():\n    time.sleep(2)\n")
    await until(client, lambda: codes(client, good) == ["CCY201", "CCY201"])


@pytest.mark.asyncio
async def test_crash_in_a_rule_is_ccy003_and_the_server_lives_on(crashing: LanguageClient, tmp_path: Path):
    uri = open_file(crashing, tmp_path / "app.py", BLOCKING)
    await until(crashing, lambda: uri in crashing.diagnostics)
    [crash] = crashing.diagnostics[uri]
    assert crash.code == "CCY003" and "rule exploded" in crash.message
    other = open_file(crashing, tmp_path / "other.py", "import asyncio\n\n\nasync def f():\n    asyncio.sleep(1)\n")
    await until(crashing, lambda: other in crashing.diagnostics)
    assert "CCY101" in codes(crashing, other)


# ---------------------------------------------------------------------- configuration
@pytest.mark.asyncio
async def test_configuration_changes_apply_without_restart(client: LanguageClient, tmp_path: Path):
    text = BLOCKING + "\n\nqueue = asyncio.Queue()\n"  # CCY401: advice, only in the strict preset
    uri = open_file(client, tmp_path / "app.py", text)
    await until(client, lambda: codes(client, uri) == ["CCY201"])

    # the editor's settings: every rule
    client.set_configuration({"preset": "strict"}, section="concurlint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await until(client, lambda: codes(client, uri) == ["CCY201", "CCY401"])

    # an edit to pyproject.toml: the file's closest configuration
    client.set_configuration({}, section="concurlint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await until(client, lambda: codes(client, uri) == ["CCY201"])
    (tmp_path / "pyproject.toml").write_text('[tool.concurlint]\nignore = ["CCY201"]\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([types.FileEvent(
        uri=(tmp_path / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
    await until(client, lambda: codes(client, uri) == [])

    # pyproject.toml edited and saved in the editor (a client without file watching)
    config = (tmp_path / "pyproject.toml").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=config, language_id="toml", version=1, text=(tmp_path / "pyproject.toml").read_text())))
    (tmp_path / "pyproject.toml").write_text('[tool.concurlint]\nignore = ["CCY1"]\n')
    change(client, config, 2, (tmp_path / "pyproject.toml").read_text())
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=config)))
    await until(client, lambda: codes(client, uri) == ["CCY201"])
    assert config not in client.diagnostics  # not Python: not checked


@pytest.mark.asyncio
async def test_bad_configuration_is_shown_and_defaults_are_used(client: LanguageClient, tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.concurlint]\npreset = "everything"\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([types.FileEvent(
        uri=(tmp_path / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
    uri = open_file(client, tmp_path / "app.py", BLOCKING)
    await until(client, lambda: codes(client, uri) == ["CCY201"])
    [shown] = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert "'preset' must be one of" in shown and "pyproject.toml" in shown


@pytest.mark.parametrize("lang, expected", [("en", "'concurlint server' needs pygls: pip install 'concurlint[server]'"),
                                            ("zh", "'concurlint server' 需要 pygls")])
def test_without_pygls_the_command_says_what_to_install(lang: str, expected: str) -> None:
    import subprocess

    hide = "import sys; sys.modules['pygls'] = None; from concurlint.cli import main; main(['server'])"
    done = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, timeout=120,
                          env={**ENV, "CONCURLINT_LANG": lang}, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr


@pytest.mark.asyncio
async def test_fast_typing_publishes_only_the_latest_version(client: LanguageClient, tmp_path: Path):
    published: List[tuple] = []
    record = client.protocol.fm.features[PUBLISH]

    def recording(params: types.PublishDiagnosticsParams) -> None:
        published.append((params.version, [d.code for d in params.diagnostics]))
        record(params)

    client.protocol.fm.features[PUBLISH] = recording
    uri = open_file(client, tmp_path / "app.py", BLOCKING)
    await until(client, lambda: codes(client, uri) == ["CCY201"])
    typed = BLOCKING
    for version in range(2, 8):  # keystrokes faster than the debounce
        typed += f"    asyncio.sleep({version})\n"
        change(client, uri, version, typed)
    await until(client, lambda: any(version == 7 for version, _ in published))
    assert [version for version, _ in published] == [1, 7]
    assert published[-1][1] == ["CCY201"] + ["CCY101"] * 6


@pytest.mark.asyncio
async def test_unsaved_buffers_and_windows_line_endings(client: LanguageClient):
    untitled = "untitled:Untitled-1"
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=untitled, language_id="python", version=1, text=BLOCKING.replace("\n", "\r\n"))))
    [diagnostic] = await diagnosed(client, untitled)
    assert diagnostic.code == "CCY201"
    assert diagnostic.range == types.Range(types.Position(5, 4), types.Position(5, 17))


@pytest.mark.asyncio
async def test_saving_a_module_updates_the_findings_of_its_importers(client: LanguageClient, tmp_path: Path):
    (tmp_path / "store.py").write_text("def load():\n    return 1\n")
    importer = "from store import load\n\n\nasync def main():\n    load()\n"
    (tmp_path / "app.py").write_text(importer)
    app = open_file(client, tmp_path / "app.py", importer)
    await until(client, lambda: app in client.diagnostics)
    assert codes(client, app) == []

    store = open_file(client, tmp_path / "store.py", "def load():\n    return 1\n")
    (tmp_path / "store.py").write_text("async def load():\n    return 1\n")
    change(client, store, 2, "async def load():\n    return 1\n")
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=store)))
    await until(client, lambda: codes(client, app) == ["CCY101"])  # load() is now a coroutine never awaited

"""``concurlint server``: the language server (LSP over standard input/output).

Built on pygls with lsprotocol's types. Every buffer is checked by the same
engine as ``concurlint check``, through the same bounded path as the flake8 mode
(``bounded.bounded_check``): a buffer over ``max-file-size`` or one that runs past
``file-timeout`` becomes one CCY004 diagnostic, and a risky buffer is analysed in
a child process, so the server itself never hangs on it.

- Diagnostics are published on open, save and change (``DEBOUNCE`` after the last
  keystroke); a result for an older version of a buffer is dropped. A client that
  pulls diagnostics (``textDocument/diagnostic``) gets them that way instead, so it
  never shows them twice.
- Code actions: each fix as a quick fix (unsafe ones only with ``unsafeFixes``),
  "suppress with ``# noqa: CCYxxx``", and ``source.fixAll.concurlint`` (the
  verified rounds of ``concurlint check --fix``, on the buffer's text).
- Hover on a finding: the rule's explanation, in the ``lang`` setting or the
  client's locale (the hover's Markdown and the noqa edit are built in
  server_texts.py).
- Settings: the closest configuration of each file (``settings_for_path``), with
  the editor's ``concurlint`` settings on top; edits to a ``pyproject.toml`` and
  ``workspace/didChangeConfiguration`` take effect at once.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer

from . import __version__
from .catalog import severity_of
from .config import ConfigError, Settings, clear_config_cache, load_settings, parse_table
from .findings import Edit, Finding, Position, Text, tool_finding
from .languages import detect_lang, names as language_names, resolve
from .reporters.sarif import help_uri
from .semantics.project import ProjectIndex
from .server_texts import hover_text, noqa_edit
from .source import SourceFile, detect_newline

SOURCE = "concurlint"
SECTION = "concurlint"  # the editor's settings section (and initializationOptions)
FIX_ALL = "source.fixAll.concurlint"
DEBOUNCE = 0.15  # seconds of quiet typing before a changed buffer is checked
_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
             "note": types.DiagnosticSeverity.Information}
# editor setting -> [tool.concurlint] key: the rule selection may be set per editor too
_OVERRIDES = {"preset": "preset", "select": "select", "extendSelect": "extend-select",
              "ignore": "ignore"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_UNSAFE_TITLE = Text("{title} (unsafe)")
_SUPPRESS_TITLE = Text("Suppress {code} with # noqa: {code}")
_FIX_ALL_TITLE = Text("concurlint: fix all auto-fixable problems")
_log = logging.getLogger("concurlint.server")  # to standard error: the editor's log of the server


def settings_for_path(path: str, overrides: Dict[str, Any]) -> Settings:
    """The settings of the configuration closest to ``path``, with the editor's
    ``overrides`` (TOML spelling) on top. Not ``config.settings_for_path``: a file with
    no configuration above it must not take the one of the server's working directory,
    which is wherever the editor happened to start it."""
    return load_settings(search_from=[path], overrides=overrides)


# ---------------------------------------------------------------------- state
@dataclass
class Options:
    """The editor's ``concurlint`` settings."""

    lang: Optional[str] = None  # a language with a catalog (languages.py); None: the client's locale
    unsafe_fixes: bool = False
    overrides: Dict[str, Any] = field(default_factory=dict)  # TOML spelling

    @classmethod
    def parse(cls, raw: Any) -> "Options":
        if not isinstance(raw, Mapping):
            return cls()
        lang = raw.get("lang") or None
        if lang is not None and (not isinstance(lang, str) or resolve(lang) is None):
            raise ConfigError(f"editor settings: 'lang' must be one of {', '.join(language_names())} "
                              f"(got {lang!r})")
        overrides = {key: raw[name] for name, key in _OVERRIDES.items()
                     if raw.get(name) not in (None, "", [])}
        parse_table(overrides, "editor settings")  # raises ConfigError when invalid
        return cls(resolve(lang) if lang else None, bool(raw.get("unsafeFixes")), overrides)


@dataclass
class Analysis:
    """The findings of one version of a buffer."""

    key: Tuple[Optional[int], int]  # (document version, configuration generation)
    text: str
    lines: List[str]
    findings: List[Finding]
    settings: Optional[Settings]  # None: the file is excluded by its configuration
    fixed: Dict[bool, List[types.TextEdit]] = field(default_factory=dict)  # fix-all edits by "unsafe"


def split_lines(text: str) -> List[str]:
    """Lines without their breaks, split as Python and the LSP split them."""
    return _LINE_BREAK.split(text)


class ConcurlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("concurlint", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.options = Options()
        self.initialization_options: Any = None
        self.locale: Optional[str] = None
        self.generation = 0  # bumped by every configuration change
        self.analyses: Dict[str, Analysis] = {}
        self.running: Dict[str, Tuple[Tuple[Optional[int], int], "asyncio.Future[Analysis]"]] = {}
        self.pending: Dict[str, "asyncio.Task[None]"] = {}
        self.settings_cache: Dict[str, Settings] = {}
        self.indexes: Dict[str, ProjectIndex] = {}  # workspace folder -> index
        self.stale_indexes: Set[str] = set()  # folders where a module was saved since
        self.reported: Set[str] = set()  # configuration errors already shown
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        # Analyses run here, off the event loop; risky buffers go on to a child process.
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="concurlint-check")
        _register(self)

    # ------------------------------------------------------------------ settings
    @property
    def lang(self) -> str:
        if self.options.lang:
            return self.options.lang
        if self.locale:
            return resolve(self.locale) or "en"
        return detect_lang()

    @property
    def pulls(self) -> bool:
        """Whether the client pulls diagnostics (then none are published)."""
        document = self.client_capabilities.text_document
        return document is not None and document.diagnostic is not None

    def settings_for(self, path: str) -> Settings:
        directory = os.path.dirname(os.path.abspath(path))
        settings = self.settings_cache.get(directory)
        if settings is None:
            try:
                settings = settings_for_path(path, self.options.overrides)
            except ConfigError as exc:
                self.show_error(str(exc))
                settings = load_settings(isolated=True, overrides=self.options.overrides)
            self.settings_cache[directory] = settings
        return settings

    def show_error(self, message: str) -> None:
        if message in self.reported:
            return
        self.reported.add(message)
        params = types.ShowMessageParams(types.MessageType.Error, f"concurlint: {message}")
        if self.loop is None:
            self.window_show_message(params)
        else:  # called from an analysis thread too: only the event loop writes to the client
            self.loop.call_soon_threadsafe(self.window_show_message, params)

    def set_options(self, raw: Any) -> None:
        merged: Dict[str, Any] = {}
        # initializationOptions, then the settings (which win); either may be the
        # section's table or hold it under "concurlint", depending on the client
        for layer in (self.initialization_options, raw):
            if isinstance(layer, Mapping):
                section = layer.get(SECTION)
                merged.update(section if isinstance(section, Mapping) else layer)
        try:
            self.options = Options.parse(merged)
        except ConfigError as exc:
            self.show_error(str(exc))

    async def pull_options(self) -> None:
        workspace = self.client_capabilities.workspace
        if workspace is None or not workspace.configuration:
            return
        try:
            found = await self.workspace_configuration_async(types.ConfigurationParams(
                items=[types.ConfigurationItem(section=SECTION)]))
        except Exception:  # noqa: BLE001 - a client that cannot answer keeps the defaults
            return
        if found:
            self.set_options(found[0])

    async def configuration_changed(self) -> None:
        """Forget every setting, index and result; check the open buffers again."""
        self.settings_cache.clear()
        clear_config_cache()  # a configuration file may have appeared, changed or gone
        self.indexes.clear()
        self.reported.clear()
        self.recheck()

    def recheck(self) -> None:
        """Check every open buffer again (the settings or the project index changed)."""
        self.generation += 1
        self.analyses.clear()
        if self.pulls:
            refresh = getattr(self.client_capabilities.workspace, "diagnostics", None)
            if refresh is not None and refresh.refresh_support:
                self.workspace_diagnostic_refresh(None)
            return
        for uri in list(self.workspace.text_documents):
            if self.is_python(uri):
                self.schedule(uri, 0)

    # ------------------------------------------------------------------ analysis
    def project_for(self, path: str, settings: Settings) -> ProjectIndex:
        """The index of the workspace folder holding ``path`` (built once per folder and
        configuration), or of ``path`` alone outside every folder. After a module is
        saved, the folder's index is rebuilt in the background; the old one serves
        until then, so a save never delays the next diagnostics."""
        from .runner import build_project_index

        absolute = os.path.abspath(path)
        roots = [uris.to_fs_path(f.uri) for f in self.workspace.folders.values()]
        roots = [r for r in roots if r and (absolute + os.sep).startswith(os.path.join(r, ""))]
        if not roots:
            return build_project_index([path])
        root = max(roots, key=len)
        index = self.indexes.get(root)
        if index is None:
            index = self.indexes[root] = self._index_of(root, settings)
        elif root in self.stale_indexes:
            self.stale_indexes.discard(root)
            self.executor.submit(self._reindex, root, settings, self.generation)
        return index

    def _index_of(self, root: str, settings: Settings) -> ProjectIndex:
        from .discovery import discover
        from .runner import build_project_index

        try:
            files = discover([root], settings)
        except ConfigError:
            files = []
        return build_project_index(files)

    def _reindex(self, root: str, settings: Settings, generation: int) -> None:
        index = self._index_of(root, settings)
        if generation == self.generation and self.loop is not None:
            self.indexes[root] = index  # (else the configuration changed: built anew on demand)
            self.loop.call_soon_threadsafe(self.recheck)  # other buffers may use what was saved

    def check(self, uri: str, text: str, key: Tuple[Optional[int], int]) -> Analysis:
        """Check one version of a buffer (in a worker thread). Never raises."""
        from .bounded import bounded_check

        path = uris.to_fs_path(uri) or uri
        lines = split_lines(text)
        settings: Optional[Settings] = None
        try:
            settings = self.settings_for(path)
            if settings.is_excluded(path):
                return Analysis(key, text, lines, [], None)
            source = SourceFile(path, text, newline=detect_newline(text))
            result = bounded_check(source, settings, self.project_for(path, settings))
            findings = result.findings
            for trace in result.tracebacks:  # CCY003: the details go to the editor's server log
                _log.error("internal error while checking %s:\n%s", path, trace)
        except Exception as exc:  # noqa: BLE001 - the server must survive its own bugs
            _log.exception("internal error in the language server while checking %s", path)
            detail = f"{type(exc).__name__}: {exc}"
            findings = [tool_finding(path, "CCY003", Text(
                "internal error in the language server: {detail}; please report a bug to the concurlint "
                "developers with this file").format(detail=detail))]
        return Analysis(key, text, lines, findings, settings)

    def is_python(self, uri: str) -> bool:
        """An open buffer of Python code (other open files, pyproject.toml among them,
        are not checked)."""
        if uri not in self.workspace.text_documents:
            return False
        return (self.workspace.get_text_document(uri).language_id == "python"
                or uri.endswith((".py", ".pyi")))

    async def analysis(self, uri: str) -> Optional[Analysis]:
        """The analysis of the buffer's current version (shared by every caller).

        One check per buffer runs at a time: a newer version waits for the running
        one (whose result is then dropped), so a slow buffer holds one core, not one
        per keystroke."""
        while self.is_python(uri):
            key = (self.workspace.get_text_document(uri).version, self.generation)
            done = self.analyses.get(uri)
            if done is not None and done.key == key:
                return done
            running = self.running.get(uri)
            if running is None:
                text = self.workspace.get_text_document(uri).source
                future = asyncio.get_running_loop().run_in_executor(self.executor, self.check, uri, text, key)
                running = self.running[uri] = (key, future)
                future.add_done_callback(lambda _done, entry=running: self._finished(uri, entry))
            result = await asyncio.shield(running[1])
            if result.key == key:
                return result
        return None

    def _finished(self, uri: str, entry: Tuple[Tuple[Optional[int], int], "asyncio.Future[Analysis]"]) -> None:
        if self.running.get(uri) is entry:
            del self.running[uri]
        result = entry[1].result()
        if uri in self.workspace.text_documents and result.key[1] == self.generation:
            self.analyses[uri] = result

    def current(self, uri: str) -> Optional[Analysis]:
        """The analysis that matches the buffer as it is now, if there is one."""
        done = self.analyses.get(uri)
        if done is None or uri not in self.workspace.text_documents:
            return None
        if done.key != (self.workspace.get_text_document(uri).version, self.generation):
            return None
        return done

    def schedule(self, uri: str, delay: float) -> None:
        """Publish the buffer's diagnostics after ``delay``, replacing an older request."""
        if self.pulls:
            return
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        self.pending[uri] = asyncio.ensure_future(self._publish(uri, delay))

    async def _publish(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        result = await self.analysis(uri)
        if result is None or self.current(uri) is not result:
            return  # closed, or a newer version is on its way
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=result.key[0], diagnostics=self.diagnostics(result)))

    # ------------------------------------------------------------------ to the client
    def position(self, lines: Sequence[str], line: int, column: int) -> types.Position:
        """A 1-based line and character column as an LSP position in the client's units."""
        index = line - 1
        if index >= len(lines):
            return types.Position(len(lines), 0)
        return types.Position(index, _units(lines[index][: column - 1], self.encoding))

    def column_of(self, lines: Sequence[str], position: types.Position) -> Tuple[int, int]:
        """An LSP position as a 1-based (line, character column)."""
        if position.line >= len(lines):
            return position.line + 1, 1
        text, units, column = lines[position.line], 0, 0
        while column < len(text) and units < position.character:
            units += _units(text[column], self.encoding)
            column += 1
        return position.line + 1, column + 1

    @property
    def encoding(self) -> Any:
        return self.workspace.position_encoding or types.PositionEncodingKind.Utf16

    def span(self, lines: Sequence[str], start: Position, end: Position) -> types.Range:
        return types.Range(self.position(lines, start.line, start.column),
                           self.position(lines, end.line, end.column))

    def diagnostics(self, result: Analysis) -> List[types.Diagnostic]:
        lang = self.lang
        return [types.Diagnostic(
            range=self.span(result.lines, f.start, f.end),
            message=f.message.get(lang),
            severity=_SEVERITY[severity_of(f.code)],
            code=f.code,
            code_description=types.CodeDescription(href=help_uri(f.code)),
            source=SOURCE,
        ) for f in result.findings]

    def text_edits(self, lines: Sequence[str], edits: Sequence[Edit]) -> List[types.TextEdit]:
        return [types.TextEdit(self.span(lines, e.start, e.end), e.content) for e in edits]

    def workspace_edit(self, uri: str, version: Optional[int],
                       edits: List[types.TextEdit]) -> types.WorkspaceEdit:
        workspace = self.client_capabilities.workspace
        versioned = (workspace is not None and workspace.workspace_edit is not None
                     and workspace.workspace_edit.document_changes)
        if versioned:  # the client refuses the edit if the buffer changed meanwhile
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits)])
        return types.WorkspaceEdit(changes={uri: edits})

    # ------------------------------------------------------------------ code actions
    async def code_actions(self, params: types.CodeActionParams) -> List[types.CodeAction]:
        uri = params.text_document.uri
        result = self.current(uri)
        if result is None:
            return []
        only = params.context.only
        wanted = lambda kind: only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)  # noqa: E731
        lang = self.lang
        unsafe = self.options.unsafe_fixes
        first, last = (self.column_of(result.lines, params.range.start),
                       self.column_of(result.lines, params.range.end))
        actions: List[types.CodeAction] = []
        suppressing: Set[Tuple[int, str]] = set()
        for finding in result.findings:
            if (finding.end.line, finding.end.column) < first or (finding.start.line, finding.start.column) > last:
                continue
            diagnostic = self.diagnostics(replace(result, findings=[finding]))
            fix = finding.fix
            if wanted(types.CodeActionKind.QuickFix) and fix is not None and fix.edits and (fix.safe or unsafe):
                title = f"{finding.code}: {fix.title.get(lang)}"
                if not fix.safe:
                    title = _UNSAFE_TITLE.format(title=title).get(lang)
                actions.append(types.CodeAction(
                    title=title, kind=types.CodeActionKind.QuickFix, diagnostics=diagnostic,
                    is_preferred=fix.safe,
                    edit=self.workspace_edit(uri, result.key[0], self.text_edits(result.lines, fix.edits))))
            noqa = noqa_edit(result.text, result.lines, finding)
            if wanted(types.CodeActionKind.QuickFix) and noqa is not None \
                    and (finding.start.line, finding.code) not in suppressing:
                suppressing.add((finding.start.line, finding.code))
                actions.append(types.CodeAction(
                    title=_SUPPRESS_TITLE.format(code=finding.code).get(lang),
                    kind=types.CodeActionKind.QuickFix, diagnostics=diagnostic,
                    edit=self.workspace_edit(uri, result.key[0], self.text_edits(result.lines, [noqa]))))
        # Fixing all re-checks the buffer several times: not for the light bulb that
        # clients ask for at every cursor move, only when asked for by kind or by the user.
        asked = only is not None or params.context.trigger_kind != types.CodeActionTriggerKind.Automatic
        if asked and wanted(FIX_ALL) and result.settings is not None and any(
                f.fix is not None and (f.fix.safe or unsafe) for f in result.findings):
            edits = result.fixed.get(unsafe)
            if edits is None:
                edits = result.fixed[unsafe] = await asyncio.get_running_loop().run_in_executor(
                    self.executor, self.fix_all, result, unsafe)
            if edits:
                actions.append(types.CodeAction(
                    title=_FIX_ALL_TITLE.get(lang),
                    kind=FIX_ALL, edit=self.workspace_edit(uri, result.key[0], edits)))
        return actions

    def fix_all(self, result: Analysis, unsafe: bool) -> List[types.TextEdit]:
        """The edit that turns the buffer into its fixed text (``check --fix``'s rounds:
        every fix verified, none that breaks the code)."""
        from .fixes import fix_source
        from .precheck import risky

        assert result.settings is not None
        if risky(result.text):  # fixing re-parses several times: not for a pathological buffer
            return []
        path = result.findings[0].path
        source = SourceFile(path, result.text, newline=detect_newline(result.text))
        try:
            fixed = fix_source(source, result.settings, self.project_for(path, result.settings), unsafe)
        except Exception:  # noqa: BLE001 - no action rather than a broken one
            return []
        if fixed.text is None or fixed.text == result.text:
            return []
        return [changed_lines(result.text, fixed.text, self)]

    # ------------------------------------------------------------------ hover
    def hover(self, params: types.HoverParams) -> Optional[types.Hover]:
        result = self.current(params.text_document.uri)
        if result is None:
            return None
        at = self.column_of(result.lines, params.position)
        found = [f for f in result.findings
                 if (f.start.line, f.start.column) <= at <= (f.end.line, f.end.column)]
        if not found:
            return None
        lang = self.lang
        text = "\n\n---\n\n".join(hover_text(f, lang) for f in found)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text),
                           self.span(result.lines, found[0].start, found[0].end))


def _units(text: str, encoding: Any) -> int:
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def changed_lines(before: str, after: str, server: ConcurlintServer) -> types.TextEdit:
    """One edit replacing only the lines that differ between ``before`` and ``after``."""
    old, new = before.splitlines(True), after.splitlines(True)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    lines = split_lines(before)
    start = server.position(lines, head + 1, 1)
    end = server.position(lines, len(old) - tail + 1, 1)
    return types.TextEdit(types.Range(start, end), "".join(new[head:len(new) - tail]))


# ---------------------------------------------------------------------- handlers
def _register(server: ConcurlintServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.loop = asyncio.get_running_loop()
        server.locale = params.locale
        server.initialization_options = params.initialization_options
        server.set_options(None)

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        await server.pull_options()
        watch = getattr(server.client_capabilities.workspace, "did_change_watched_files", None)
        if watch is None or not watch.dynamic_registration:
            return  # such a client reports the pyproject.toml saved in the editor (did_save)
        try:
            await server.client_register_capability_async(types.RegistrationParams([types.Registration(
                id="concurlint-config", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    [types.FileSystemWatcher(glob_pattern="**/pyproject.toml")]))]))
        except Exception:  # noqa: BLE001 - the client declined: saves in the editor still count
            pass

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        if server.is_python(params.text_document.uri):
            server.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        if server.is_python(params.text_document.uri):
            server.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith("/pyproject.toml"):
            await server.configuration_changed()
        elif server.is_python(uri):
            server.stale_indexes.update(list(server.indexes))  # the saved module's definitions may have changed
            server.schedule(uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = server.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        server.analyses.pop(uri, None)
        if not server.pulls:
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                    types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=False,
                                            workspace_diagnostics=False))
    async def pull(params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        result = await server.analysis(params.text_document.uri)
        if result is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result_id = f"{result.key[0]}:{result.key[1]}"
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=server.diagnostics(result), result_id=result_id)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]))
    async def code_action(params: types.CodeActionParams) -> List[types.CodeAction]:
        return await server.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(params: types.HoverParams) -> Optional[types.Hover]:
        return server.hover(params)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        workspace = server.client_capabilities.workspace
        if workspace is not None and workspace.configuration:
            await server.pull_options()
        else:
            server.set_options(params.settings)
        await server.configuration_changed()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.endswith("/pyproject.toml") for change in params.changes):
            await server.configuration_changed()
        elif any(change.uri.endswith(".py") for change in params.changes):
            server.stale_indexes.update(list(server.indexes))


def serve() -> None:
    """Run the server on standard input/output until the client says exit."""
    from . import engine  # noqa: F401 - load libcst before any analysis thread forks a child

    ConcurlintServer().start_io()

"""The result cache: findings per file, keyed by everything they depend on.

A key is a hash of: the file's bytes, its path and module name (findings carry
the path; local qualified names depend on the package layout), the effective
configuration (``Settings.cache_key()`` and the config root), the tool version
and a fingerprint of its own source files (so edited rules never reuse old results).
The project index (cross-module facts) is not part of the key: an entry records
what its file's check used of it (``depends``: the questions asked of the index and
their answers, and for the pre-check's decision a hash of the project names it
matched), and the caller's ``valid`` test keeps the entry only while those still
hold. A new ``async def`` in one module therefore re-checks that module and the
files whose answers changed, not the whole tree. A warm run over an unchanged tree
costs reading and hashing the files, plus one lookup per file.

Layout: ``<cache dir>/v1-<version>/<2 hex>/<key>.json`` (one small JSON file per
entry, so concurrent runs never write the same file twice at the same time and
a corrupt entry costs one file). Entries are written to a temporary file and
renamed over the final name (``fileio.atomic_write`` without its fsync, which costs
~5 ms per file on these machines), so a reader sees the old entry, the new one, or
none: an entry lost or torn by a crash is detected
(JSON and key check) and simply recomputed. Anything unreadable is a miss, never
an error; a cache directory that cannot be written disables the cache silently.

The cache prunes itself: directories of other versions go away, entries not
used for ``MAX_AGE_DAYS`` are removed, and beyond ``MAX_ENTRIES`` the least
recently used ones are (hits refresh an entry's mtime at most once a day).
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import __version__
from .fastpath import CACHE_SCHEMA as SCHEMA
from .findings import Edit, Finding, Fix, Position, Text

MAX_AGE_DAYS = 30
MAX_ENTRIES = 100_000
PRUNE_EVERY_SECONDS = 3600.0
_DAY = 86400.0
DEFAULT_DIR_NAME = ".concurlint_cache"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


_CODE_FINGERPRINT: Optional[str] = None


def code_fingerprint() -> str:
    """Size and mtime of concurlint's own modules: an edited checkout (or a reinstall
    with the same version number) never reuses results of the old rules."""
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        package = os.path.dirname(os.path.abspath(__file__))
        parts = []
        for directory, dirnames, filenames in os.walk(package):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith(".py"):
                    try:
                        info = os.stat(os.path.join(directory, name))
                    except OSError:
                        continue
                    parts.append(f"{os.path.relpath(os.path.join(directory, name), package)}:"
                                 f"{info.st_size}:{info.st_mtime_ns}")
        _CODE_FINGERPRINT = hashlib.blake2b("\n".join(parts).encode(), digest_size=12).hexdigest()
    return _CODE_FINGERPRINT


def default_directory(settings: Any) -> str:
    if getattr(settings, "cache_dir", None):
        return os.path.join(settings.root, settings.cache_dir) if not os.path.isabs(settings.cache_dir) \
            else settings.cache_dir
    return os.path.join(settings.root, DEFAULT_DIR_NAME)


class Cache:
    def __init__(self, directory: str, settings: Any):
        self.base = directory
        self.directory = os.path.join(directory, f"v{SCHEMA}-{__version__}")
        config = repr((__version__, SCHEMA, code_fingerprint(), settings.cache_key(),
                       os.path.abspath(settings.root)))
        self.config_key = hashlib.blake2b(config.encode("utf-8", "replace"), digest_size=16).hexdigest()
        self.enabled = True
        self.hits = 0
        self.misses = 0
        self.stale = 0  # entries found whose project facts changed (counted in misses too)
        self.writes = 0
        self._made: set = set()

    # ------------------------------------------------------------------ keys
    def key(self, path: str, module: Tuple[Optional[str], bool], digest: str, config: str = "",
            environment: str = "") -> str:
        """``environment``: the installed libraries' fingerprint (their facts are not
        recorded per question like the project's, so an upgrade re-checks every file)."""
        text = "\0".join((self.config_key, os.path.abspath(path), repr(module), digest, config, environment))
        return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def _entry_path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key + ".json")

    # ------------------------------------------------------------------ entries
    def get(self, key: str, path: str, valid: Optional[Callable[[Dict[str, Any]], bool]] = None
            ) -> Optional[Tuple[List[Finding], List[str]]]:
        """Findings and tracebacks stored under ``key`` (reported at ``path``), or None;
        also None when ``valid`` rejects what the entry depends on (see ``put``)."""
        if not self.enabled:
            return None
        entry = self._entry_path(key)
        try:
            with open(entry, "rb") as handle:
                payload = json.loads(handle.read().decode("utf-8"))
            if payload.get("key") != key:
                raise ValueError("key mismatch")
            findings = [_finding_from(path, item) for item in payload["findings"]]
            tracebacks = [str(t) for t in payload.get("tracebacks", [])]
            depends = payload.get("depends") or {}
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # noqa: BLE001 - a corrupt entry is a miss; it will be rewritten
            self.misses += 1
            return None
        if valid is not None and not valid(depends):
            self.misses += 1
            self.stale += 1
            return None
        self.hits += 1
        self._touch(entry)
        return findings, tracebacks

    def put(self, key: str, findings: Sequence[Finding], tracebacks: Sequence[str] = (),
            depends: Optional[Dict[str, Any]] = None) -> None:
        """Store a result; ``depends`` (JSON data) is what it used beyond the key."""
        if not self.enabled:
            return
        payload: Dict[str, Any] = {"key": key, "findings": [_finding_to(f) for f in findings],
                                   "tracebacks": list(tracebacks)}
        if depends:
            payload["depends"] = depends
        self._write(self._entry_path(key), json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    # ------------------------------------------------------------------ blobs (the project index)
    def _object_path(self, name: str) -> str:
        # built by concurlint's own code: an edited checkout never reuses them either
        return os.path.join(self.directory, "objects", f"{code_fingerprint()}-{name}")

    def get_object(self, name: str) -> Any:
        if not self.enabled:
            return None
        path = self._object_path(name)
        try:
            with open(path, "rb") as handle:
                found = pickle.loads(handle.read())
        except Exception:  # noqa: BLE001 - missing or corrupt: rebuild
            return None
        self._touch(path)
        return found

    def put_object(self, name: str, value: Any) -> None:
        if self.enabled:
            self._write(self._object_path(name), pickle.dumps(value, protocol=4))

    def has_object(self, name: str) -> bool:
        return self.enabled and os.path.isfile(self._object_path(name))

    # ------------------------------------------------------------------ writing
    def _write(self, target: str, data: bytes) -> None:
        directory = os.path.dirname(target)
        try:
            if directory not in self._made:
                self._prepare(directory)
            from .fileio import atomic_write  # tempfile: only when something is written

            atomic_write(target, data, mode=0o600, durable=False)
            self.writes += 1
        except OSError:
            self.enabled = False  # read-only or full disk: run on without the cache

    def _prepare(self, directory: str) -> None:
        if not os.path.isdir(self.base):
            os.makedirs(self.base, exist_ok=True)
            tag = os.path.join(self.base, "CACHEDIR.TAG")
            _write_small(tag, b"Signature: 8a477f597d28d172789f06886806bc55\n"
                              b"# This directory is concurlint's result cache; it can be deleted.\n")
            _write_small(os.path.join(self.base, ".gitignore"), b"*\n")
        os.makedirs(directory, exist_ok=True)
        self._made.add(directory)

    def _touch(self, entry: str) -> None:
        try:
            now = time.time()
            if now - os.stat(entry).st_mtime > _DAY:
                os.utime(entry, (now, now))
        except OSError:
            pass

    # ------------------------------------------------------------------ pruning
    def prune(self, force: bool = False, max_entries: int = MAX_ENTRIES,
              max_age_days: float = MAX_AGE_DAYS) -> int:
        """Remove old versions, stale and excess entries; returns entries removed.

        Runs at most once per ``PRUNE_EVERY_SECONDS`` unless ``force``.
        """
        if not self.enabled or not os.path.isdir(self.base):
            return 0
        marker = os.path.join(self.base, "last-prune")
        now = time.time()
        try:
            if not force and now - os.stat(marker).st_mtime < PRUNE_EVERY_SECONDS:
                return 0
        except OSError:
            pass
        _write_small(marker, str(now).encode())
        import shutil

        removed = 0
        try:
            for name in os.listdir(self.base):
                full = os.path.join(self.base, name)
                if name.startswith("v") and os.path.isdir(full) and full != self.directory:
                    shutil.rmtree(full, ignore_errors=True)
        except OSError:
            return 0
        entries: List[Tuple[float, str]] = []
        try:
            for bucket in os.scandir(self.directory):
                if bucket.name == "objects" and bucket.is_dir():
                    # one project index per set of checked files: each edit stores a new
                    # one (megabytes on a big tree); unused for a day, an object goes
                    for entry in os.scandir(bucket.path):
                        if now - entry.stat().st_mtime > _DAY:
                            removed += _unlink(entry.path)
                    continue
                if not bucket.is_dir():
                    continue
                for entry in os.scandir(bucket.path):
                    try:
                        mtime = entry.stat().st_mtime
                    except OSError:
                        continue
                    leftover = entry.name.startswith(".concurlint-") and entry.name.endswith(".tmp")
                    if leftover and now - mtime > _DAY:  # a writer killed before its rename
                        removed += _unlink(entry.path)
                    elif now - mtime > max_age_days * _DAY:
                        removed += _unlink(entry.path)
                    else:
                        entries.append((mtime, entry.path))
        except OSError:
            return removed
        if len(entries) > max_entries:
            entries.sort()
            for _mtime, path in entries[: len(entries) - max_entries]:
                removed += _unlink(path)
        return removed


def _unlink(path: str) -> int:
    try:
        os.unlink(path)
        return 1
    except OSError:
        return 0


def _write_small(path: str, data: bytes) -> None:
    try:
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError:
        pass


class PairsHistory:
    """The pre-check's project pairs of earlier runs, by digest. An entry whose skip (or
    check) was decided with other pairs than this run's is kept as it is when its text
    names none of the names whose owners differ between the two: the pre-check's match
    on pairs only looks at the names the text holds as words. So a new coroutine does not
    re-screen and rewrite every pair-dependent entry (1,771 on home-assistant), only
    those that mention its name."""

    def __init__(self, store: Cache, pairs: Dict[str, Any], digest: str):
        self.store = store
        self.pairs = pairs
        self._changed: Dict[str, Optional[List[str]]] = {}
        name = _pairs_object(digest)
        if not store.has_object(name):  # once per set of pairs: later runs compare with it
            store.put_object(name, pairs)

    def changed_names(self, digest: str) -> Optional[List[str]]:
        """The names whose owners differ between the pairs of ``digest`` and this run's;
        None when those pairs are not stored (then the entry is screened again)."""
        if digest not in self._changed:
            old = self.store.get_object(_pairs_object(digest))
            self._changed[digest] = None if not isinstance(old, dict) else sorted(
                name for name in old.keys() | self.pairs.keys() if old.get(name) != self.pairs.get(name))
        return self._changed[digest]


def _pairs_object(digest: str) -> str:
    return f"pairs-{digest}.pickle"


# ---------------------------------------------------------------------- JSON
def _text_to(text: Text) -> Dict[str, Any]:
    item: Dict[str, Any] = {"message": text.message}
    if text.inline_zh:
        item["zh"] = text.inline_zh
    if text.plural:
        item["plural"] = text.plural
    if text.values:
        item["values"] = [[name, {"text": _text_to(value)} if isinstance(value, Text) else value]
                          for name, value in text.values]
    return item


def _text_from(item: Dict[str, Any]) -> Text:
    values = tuple((str(name), _text_from(value["text"]) if isinstance(value, dict) else value)
                   for name, value in item.get("values", ()))
    return Text(str(item["message"]), str(item.get("zh", "")), values, str(item.get("plural", "")))


def _pos_to(position: Position) -> List[int]:
    return [position.line, position.column]


def _finding_to(finding: Finding) -> Dict[str, Any]:
    item: Dict[str, Any] = {
        "code": finding.code, "message": _text_to(finding.message),
        "start": _pos_to(finding.start), "end": _pos_to(finding.end),
    }
    if finding.cell is not None:
        item["cell"] = finding.cell
    if finding.fix is not None:
        item["fix"] = {
            "title": _text_to(finding.fix.title), "safe": finding.fix.safe,
            "edits": [[_pos_to(e.start), _pos_to(e.end), e.content] for e in finding.fix.edits],
        }
    return item


def _finding_from(path: str, item: Dict[str, Any]) -> Finding:
    fix = None
    if item.get("fix") is not None:
        raw = item["fix"]
        fix = Fix(_text_from(raw["title"]), bool(raw["safe"]), tuple(
            Edit(Position(*start), Position(*end), str(content)) for start, end, content in raw["edits"]))
    return Finding(path, str(item["code"]), _text_from(item["message"]), Position(*item["start"]),
                   Position(*item["end"]), fix, item.get("cell"))


__all__ = ["Cache", "PairsHistory", "content_hash", "default_directory", "DEFAULT_DIR_NAME"]

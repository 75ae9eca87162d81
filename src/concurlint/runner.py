"""Running a check over many files: discovery, the project index, then each file."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

from .config import Settings
from .discovery import discover
from .engine import FileResult, check_path
from .findings import Finding
from .semantics.project import ProjectIndex


@dataclass
class RunResult:
    files: List[str] = field(default_factory=list)
    results: List[FileResult] = field(default_factory=list)

    @property
    def findings(self) -> List[Finding]:
        return sorted((f for r in self.results for f in r.findings), key=Finding.sort_key)

    @property
    def tracebacks(self) -> List[str]:
        return [t for r in self.results for t in r.tracebacks]


def build_project_index(files: Sequence[str]) -> ProjectIndex:
    """The cross-module index of coroutine functions, built once per run (cheap scan).

    A one-file run reads only that file's project imports (its own definitions are
    answered by its scopes), exactly as the flake8 plugin does with ``for_file``.
    """
    return ProjectIndex.from_files(files, self_served=len(files) == 1)


Progress = Callable[[int, int], None]  # (files done, files total)


def run(paths: Sequence[str], settings: Settings, project: Optional[ProjectIndex] = None,
        progress: Optional[Progress] = None) -> RunResult:
    files = discover(paths, settings)
    if project is None:
        project = build_project_index(files)
    results = []
    for done, path in enumerate(files, start=1):
        results.append(check_path(path, settings, project))
        if progress is not None:
            progress(done, len(files))
    return RunResult(files, results)

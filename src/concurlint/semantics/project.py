"""Project-wide facts shared by every file of a run (the cross-module view).

The index maps qualified names of functions defined in the checked files to
whether they are coroutine functions (``async def``). It is built once per run,
before any file is checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional


@dataclass
class ProjectIndex:
    # qualified name -> True for `async def`, False for plain `def`
    functions: Dict[str, bool] = field(default_factory=dict)
    # re-exports: "pkg.f" -> "pkg.mod.f"
    aliases: Dict[str, str] = field(default_factory=dict)

    def is_coroutine_function(self, qualname: str) -> Optional[bool]:
        """True/False when the project defines ``qualname``; None when it does not."""
        seen = 0
        while qualname in self.aliases and seen < 10:
            qualname = self.aliases[qualname]
            seen += 1
        return self.functions.get(qualname)

"""What the language server writes for a finding besides its diagnostic: the hover
(the message and its rule's explanation, as Markdown) and the edit that adds
``# noqa: CODE`` to its line. Plain text work, without the LSP libraries.
"""
from __future__ import annotations

import io
import tokenize
from typing import Optional, Sequence

from .findings import Edit, Finding, Position, Text
from .reporters.sarif import help_uri
from .suppression import NOQA

_DOCUMENTATION = Text("Documentation")


def hover_text(finding: Finding, lang: str) -> str:
    """A finding's message and its rule's explanation, as Markdown."""
    from .explain import labels
    from .rules import ALL_RULES

    rule = ALL_RULES.get(finding.code)
    out = [f"**{finding.code}** {finding.message.get(lang)}", ""]
    if rule is not None:
        h = labels(lang)
        out += [f"**{rule.code} {rule.name}**: {rule.summary.get(lang)}", "", f"*{h[rule.group]}*", ""]
        if rule.why.get(lang).strip():
            out += [f"**{h['why']}**", "", rule.why.get(lang).strip(), ""]
        if rule.use_instead.strip():
            out += [f"**{h['instead']}**", "", "```python", rule.use_instead.rstrip("\n"), "```", ""]
    docs = _DOCUMENTATION.get(lang)
    out.append(f"[{docs}: {finding.code}]({help_uri(finding.code)})")
    return "\n".join(out)


def noqa_edit(text: str, lines: Sequence[str], finding: Finding) -> Optional[Edit]:
    """The edit that adds ``# noqa: CODE`` to the finding's line (where flake8 and
    concurlint read it), or None where a comment cannot go (inside a string, after a
    backslash continuation)."""
    index = finding.start.line - 1
    if finding.code.startswith("CCY0") or not 0 <= index < len(lines):
        return None  # the tool's own reports (CCY001-CCY004) are not silenced by a noqa comment
    line = lines[index]
    match = NOQA.search(line) if "#" in line else None
    if match is not None and match.group("codes"):
        at = match.end("codes")
        return Edit(Position(finding.start.line, at + 1), Position(finding.start.line, at + 1),
                    f",{finding.code}")
    if match is not None or line.rstrip().endswith("\\") or _in_string(text, finding.start.line):
        return None
    end = len(line.rstrip())
    return Edit(Position(finding.start.line, end + 1), Position(finding.start.line, len(line) + 1),
                f"  # noqa: {finding.code}")


def _in_string(text: str, line: int) -> bool:
    """Whether a string (a triple-quoted one, an f-string part) runs past the end of ``line``."""
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > line:
                return False
            if token.type in kinds and token.start[0] <= line < token.end[0]:
                return True
    except (tokenize.TokenError, SyntaxError):
        return False
    return False

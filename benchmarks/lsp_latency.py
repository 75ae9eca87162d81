"""Latency and memory of ``concurlint server``, driven over stdio like an editor.

    python benchmarks/lsp_latency.py                 # 2,000 lines, 20 timed edits, 1,000 edits
    python benchmarks/lsp_latency.py --lines 5000 --edits 50 --memory-edits 2000

- **latency**: the time from sending a keystroke (``textDocument/didChange``, one
  character inserted, incremental sync) to receiving the diagnostics of that
  version (``textDocument/publishDiagnostics``), on a generated module of
  ``--lines`` lines with findings in it; each edit waits for its diagnostics. The
  median and the spread over ``--edits`` edits. It includes the server's debounce.
- **memory**: the server's resident memory (VmRSS) after the first diagnostics and
  after ``--memory-edits`` more keystrokes, typed in bursts of ``--burst`` keystrokes
  10 ms apart (as fast typing), each burst then waiting for its diagnostics.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict

from lsprotocol import types
from pygls.lsp.client import LanguageClient

BLOCK = '''

class Worker{n}:
    def __init__(self, session):
        self.session = session
        self.queue = asyncio.Queue()

    async def fetch(self, url):
        time.sleep(0.1)  # CCY201
        response = await self.session.get(url)
        return response.status

    async def run(self, urls):
        results = []
        for url in urls:
            results.append(await self.fetch(url))
        asyncio.create_task(self.fetch(urls[0]))  # CCY103
        return results
'''


def module(lines: int) -> str:
    text = "import asyncio\nimport time\n"
    n = 0
    while text.count("\n") < lines:
        text += BLOCK.format(n=n)
        n += 1
    return "\n".join(text.split("\n")[:lines]) + "\n"


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


async def main(args: argparse.Namespace) -> None:
    client = LanguageClient("lsp-latency", "1")
    arrived: Dict[int, float] = {}
    counts: Dict[int, int] = {}
    signal = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)
        signal.set()

    async def diagnostics_of(version: int) -> float:
        while version not in arrived:
            signal.clear()
            await asyncio.wait_for(signal.wait(), 120)
        return arrived[version]

    with tempfile.TemporaryDirectory() as root:
        path = Path(root, "big_module.py")
        text = module(args.lines)
        path.write_text(text)
        await client.start_io(sys.executable, "-m", "concurlint", "server")
        pid = client._server.pid  # type: ignore[union-attr]
        await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=Path(root).as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=Path(root).as_uri(), name="bench")]))
        client.initialized(types.InitializedParams())
        uri = path.as_uri()
        start = time.perf_counter()
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        first = await diagnostics_of(1) - start
        rss_open = rss(pid)

        version = 1
        line = text.split("\n").index("", args.lines // 2)  # typing a comment on an empty line
        column = 0

        def keystroke() -> None:
            nonlocal version, column
            version += 1
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(line, column), types.Position(line, column)),
                    text="#" if column == 0 else "x")]))
            column += 1

        latencies = []
        for _ in range(args.edits):
            sent = time.perf_counter()
            keystroke()
            latencies.append(await diagnostics_of(version) - sent)

        typed = 0
        while typed < args.memory_edits:
            for _ in range(min(args.burst, args.memory_edits - typed)):
                keystroke()
                typed += 1
                await asyncio.sleep(0.01)
            await diagnostics_of(version)
        rss_after = rss(pid)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()

    ms = sorted(x * 1000 for x in latencies)
    print(f"module: {args.lines} lines, {counts[1]} findings; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"first diagnostics after didOpen (incl. the project index): {first * 1000:.0f} ms")
    print(f"keystroke -> diagnostics, {args.edits} edits: median {statistics.median(ms):.0f} ms, "
          f"min {ms[0]:.0f} ms, max {ms[-1]:.0f} ms")
    print(f"server RSS: {rss_open / 2**20:.0f} MB after opening, "
          f"{rss_after / 2**20:.0f} MB after {args.memory_edits} more keystrokes")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--memory-edits", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=10)
    asyncio.run(main(parser.parse_args()))

"""A well-behaved asyncio service: bounded, timed out, cleaned up (no findings)."""
import asyncio

import aiohttp

MAX_CONCURRENCY = 10


async def fetch(session: aiohttp.ClientSession, sem: asyncio.Semaphore, url: str) -> str:
    async with sem:
        async with session.get(url) as response:
            return await response.text()


async def main(urls: list) -> None:
    sem = asyncio.Semaphore(MAX_CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        results = await asyncio.gather(
            *(fetch(session, sem, u) for u in urls), return_exceptions=True
        )
    for url, result in zip(urls, results):
        if isinstance(result, Exception):
            print("failed", url, result)


if __name__ == "__main__":
    asyncio.run(main(["https://example.com"] * 3))

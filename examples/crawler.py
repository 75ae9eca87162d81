"""A small asyncio crawler with the pitfalls learners write most often."""
import asyncio
import time

import aiohttp
import requests


async def fetch_page(session, url):
    async with session.get(url) as response:
        return await response.text()


async def fetch_legacy(url):
    # A sync HTTP client inside a coroutine stalls every other task.
    return requests.get(url).text


async def crawl(urls):
    session = aiohttp.ClientSession()
    pages = await asyncio.gather(*(fetch_page(session, u) for u in urls))
    for attempt in range(3):
        if all(pages):
            break
        time.sleep(2 ** attempt)
    return pages


async def main():
    urls = [line.strip() for line in open("urls.txt")]
    crawl(urls)
    asyncio.create_task(fetch_legacy(urls[0]))


if __name__ == "__main__":
    asyncio.run(main)

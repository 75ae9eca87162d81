# fix-case: unsafe (asyncio.run at top level)
"""Course exercise: run the crawler."""
import asyncio


async def crawl(urls):
    await asyncio.sleep(0)
    return len(urls)


async def main():
    print(await crawl(["a", "b"]))


asyncio.run(main())

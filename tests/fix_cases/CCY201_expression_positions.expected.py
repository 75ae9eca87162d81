import asyncio
import time


async def tick():
    await asyncio.sleep(1)
    x = [await asyncio.sleep(0) for _ in range(3)]
    y = (time.sleep(0) for _ in range(3))
    return (await asyncio.sleep(2)).real

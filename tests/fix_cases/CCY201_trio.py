import time

import trio


async def worker(n):
    for _ in range(n):
        time.sleep(0.5)
        await trio.lowlevel.checkpoint()

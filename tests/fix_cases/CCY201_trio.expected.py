import trio


async def worker(n):
    for _ in range(n):
        await trio.sleep(0.5)
        await trio.lowlevel.checkpoint()

import anyio as an


async def tick():
    await an.sleep(1)

import asyncio
import asyncio as aio


async def serve():
    loop = asyncio.get_event_loop()
    loop.call_later(1, print, "tick")
    return await aio.get_event_loop().run_in_executor(None, sum, [1, 2])

import asyncio


async def is_ready(service):
    await asyncio.sleep(0)
    return service.up


async def wait_until_ready(service):
    while not await is_ready(service):
        await asyncio.sleep(1)
    if await is_ready(service) and service.healthy:
        return True
    assert await is_ready(service), "service went away"
    return "up" if await is_ready(service) else "down"

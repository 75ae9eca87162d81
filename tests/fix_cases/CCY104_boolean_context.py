import asyncio


async def is_ready(service):
    await asyncio.sleep(0)
    return service.up


async def wait_until_ready(service):
    while not is_ready(service):
        await asyncio.sleep(1)
    if is_ready(service) and service.healthy:
        return True
    assert is_ready(service), "service went away"
    return "up" if is_ready(service) else "down"

# fix-case: safe only: the call in a sync function needs asyncio.run (unsafe), so it stays
import asyncio


async def notify(user):
    await asyncio.sleep(0)
    return user


def schedule(user):
    notify(user)


async def handle(user):
    notify(user)

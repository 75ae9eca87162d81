"""Poller for the status endpoint."""
import asyncio
import logging

log = logging.getLogger(__name__)


async def poll(client, interval=1.0):
    while True:
        status = await client.status()
        log.info("status %s", status)
        await asyncio.sleep(interval)


async def backoff(attempt):
    await asyncio.sleep(min(2 ** attempt, 30))

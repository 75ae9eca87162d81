import asyncio
import logging

log = logging.getLogger(__name__)


async def fetch_user(user_id):
    await asyncio.sleep(0.1)
    return {"id": user_id}


async def refresh(user_id):
    fetch_user(user_id)  # fire and forget by mistake
    log.info("refreshed user %s", user_id)


async def handler(request):
    result = fetch_user(request.user_id)
    asyncio.sleep(1)
    return "ok"

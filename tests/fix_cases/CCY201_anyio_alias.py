from time import sleep

import anyio as an


async def tick():
    sleep(1)

import time


async def tick():
    time.sleep(1)
    x = [time.sleep(0) for _ in range(3)]
    y = (time.sleep(0) for _ in range(3))
    return time.sleep(2).real

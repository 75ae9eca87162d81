import asyncio
from asyncio import create_task


async def work():
    await asyncio.sleep(0.1)


async def main():
    task = create_task(work)
    results = await asyncio.gather(work, work())
    await work
    await asyncio.wait_for(work, timeout=1)
    return task, results


if __name__ == "__main__":
    asyncio.run(main)

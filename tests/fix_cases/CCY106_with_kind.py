import asyncio


class Cache:
    def __init__(self):
        self._lock = asyncio.Lock()
        self._data = {}

    async def get(self, key):
        with self._lock:  # wrong kind
            return self._data.get(key)

    async def put(self, key, value):
        # keep the comment above the statement
        with self._lock as held:
            self._data[key] = value
            if held:
                print("stored",
                      key)


async def update():
    with asyncio.timeout(1):
        await asyncio.sleep(0)

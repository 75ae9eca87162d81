"""A producer/consumer pipeline with a thread pool."""
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

tasks = queue.Queue()
lock = threading.Lock()


def resize(image):
    return image[::2]


def consumer():
    while True:
        item = tasks.get()
        if item is None:
            break
        lock.acquire()
        print("processing", item)
        lock.release()


def main(images):
    pool = ThreadPoolExecutor(max_workers=4)
    for image in images:
        pool.submit(resize, image)
    threading.Thread(target=consumer, daemon=True).start()
    for image in images:
        tasks.put(image)
    tasks.put(None)
    tasks.join()


if __name__ == "__main__":
    main([b"abcd", b"efgh"])

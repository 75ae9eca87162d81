"""Counting page views from several threads (from a course exercise)."""
import threading

views = {}
total = 0


def record(page):
    global total
    total += 1
    if page not in views:
        views[page] = 0
    views[page] += 1


def load_pages():
    return ["/", "/about", "/blog"]


def worker(pages):
    for page in pages:
        record(page)


threads = [threading.Thread(target=worker, args=(load_pages(),)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()

reporter = threading.Thread(target=print(total))
reporter.run()

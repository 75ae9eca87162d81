# fix-case: unsafe
import multiprocessing
import threading


class Downloader(threading.Thread):
    def run(self):
        print("downloading")


def main():
    t = threading.Thread(target=print, args=("hi",))
    t.start()
    d = Downloader()
    d.start()
    p = multiprocessing.Process(target=print)
    p.start()
    p.join()

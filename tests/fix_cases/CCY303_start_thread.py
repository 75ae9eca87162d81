# fix-case: unsafe
import multiprocessing
import threading


class Downloader(threading.Thread):
    def run(self):
        print("downloading")


def main():
    t = threading.Thread(target=print, args=("hi",))
    t.run()
    d = Downloader()
    d.run()
    p = multiprocessing.Process(target=print)
    p.run()
    p.join()

# fix-case: unsafe
"""Background jobs for the report service."""
import threading
from concurrent.futures import ThreadPoolExecutor


def rebuild_index():
    print("rebuilding")


def send_report(recipient, subject):
    print("sending", recipient, subject)


def start_jobs(executor: ThreadPoolExecutor):
    worker = threading.Thread(target=rebuild_index, daemon=True)
    worker.start()
    mailer = threading.Thread(target=send_report, args=("ops@example.com", "daily"))
    mailer.start()
    timer = threading.Timer(5.0, rebuild_index)
    timer.start()
    return executor.submit(send_report, "dev@example.com", "weekly")

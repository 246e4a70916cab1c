"""The Celery application of celery_app_test.py: the broker and the result backend are the
server under test, named by PYLON_APP_URL."""

import os

from celery import Celery

app = Celery("pylon_app", broker=os.environ["PYLON_APP_URL"], backend=os.environ["PYLON_APP_URL"])
app.conf.update(worker_hijack_root_logger=False, broker_connection_retry_on_startup=False,
                task_acks_late=True, result_expires=3600)


@app.task
def add(a, b):
    return a + b

"""The jobs the application tests run (RQ and Celery import them by module name)."""


def add(a, b):
    return a + b


def fail(message):
    raise ValueError(message)

"""A slow task for the shutdown tests, loaded only into their workers (`celery worker -I`)."""

import time
from pathlib import Path

from celery import shared_task


@shared_task(name="tests.shutdown.slow")
def slow(marker_dir: str, seconds: float) -> None:
    """Note each start and each finish in `marker_dir`, sleeping in between."""
    folder = Path(marker_dir)
    with (folder / "started").open("a") as started:
        started.write("x\n")
    time.sleep(seconds)
    with (folder / "finished").open("a") as finished:
        finished.write("x\n")

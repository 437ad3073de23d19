"""A deploy's SIGTERM closes the runtime: work Bolt accepted after an ack finishes before the process goes."""

import threading
import time


def test_listener_work_accepted_before_close_finishes_before_close_returns(world):
    w = world()
    bolt = w.app.extensions["handouts_slack"]
    executor = bolt.listener_runner.listener_executor
    done = threading.Event()
    executor.submit(lambda: (time.sleep(0.3), done.set()))
    w.rt.close()
    assert done.is_set(), "close waited for the listener thread's work"
    try:
        executor.submit(lambda: None)
    except RuntimeError:
        pass
    else:
        raise AssertionError("a closed runtime's Slack pool takes no new work")

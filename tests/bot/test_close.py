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


def test_acks_do_not_wait_for_jobs_still_starting(world, monkeypatch):
    """Bolt's listener threads only ack: with every start stuck, more commands than listener threads still get
    their ack (Bolt answers an error after 3 s when no listener thread acks), and every job starts once freed."""
    import bot.app
    import bot.listeners.commands as commands
    from tests.bot.test_buttons_home import URL

    monkeypatch.setattr(bot.app, "LISTENER_THREADS", 2)
    release = threading.Event()
    real = commands.start_handout

    def stuck(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(commands, "start_handout", stuck)
    w = world(immediate=False)
    started = time.monotonic()
    answers = [w.command(f"{URL}?n={i}", user=f"U{i}") for i in range(8)]
    took = time.monotonic() - started
    assert all(a.status_code == 200 and "Starting" in a.get_data(as_text=True) for a in answers)
    assert took < 2.5, f"8 acks took {took:.1f} s with every start stuck"
    assert not w.jobs()
    release.set()
    assert w.fake.wait_for(lambda: len(w.jobs()) == 8, timeout=30)

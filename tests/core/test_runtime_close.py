"""Closing a runtime lets adapters finish accepted work first, even when one of them fails to close."""

from handouts.wiring import open_runtime


def test_closers_run_last_first_and_a_failing_one_does_not_stop_the_rest(make_settings):
    rt = open_runtime(make_settings())
    ran: list[str] = []

    def broken():
        ran.append("broken")
        raise RuntimeError("cannot close")

    rt.on_close(lambda: ran.append("first"))
    rt.on_close(broken)
    rt.on_close(lambda: ran.append("last"))
    rt.close()
    assert ran == ["last", "broken", "first"]
    rt.close()  # a second close has nothing left to run
    assert ran == ["last", "broken", "first"]

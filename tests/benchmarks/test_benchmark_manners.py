"""Benchmarks called as commands or from tests: clear usage errors, and the logging set-up left as it was."""

import importlib.util

import pytest

from benchmarks import slides


def test_an_unknown_peer_is_named(capsys):
    with pytest.raises(SystemExit) as e:
        slides.main(["--peer", "adaptive,sift", "--quick"])
    assert e.value.code == 2
    assert "unknown detector sift" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("scenedetect") is not None, reason="PySceneDetect is installed here")
def test_a_missing_pyscenedetect_says_how_to_install_it(capsys):
    with pytest.raises(SystemExit) as e:
        slides.main(["--peer", "content10", "--quick"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "pip install -e '.[bench]'" in err and "--peer none" in err


def test_a_benchmark_run_in_process_gives_the_logging_set_up_back():
    import logging

    import structlog

    from benchmarks import quiet_logs

    before, config = logging.root.manager.disable, structlog.get_config()

    @quiet_logs()
    def main():
        assert logging.root.manager.disable == logging.WARNING
        raise SystemExit(2)  # as argparse does on a bad option

    with pytest.raises(SystemExit):
        main()
    assert logging.root.manager.disable == before and structlog.get_config() == config

"""The slide benchmark refuses peers it cannot run with a line saying what to do, before making any video."""

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

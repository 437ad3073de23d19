"""Writing a rendered file so that no reader ever finds half of it."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import StageFailed


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path beside `out`; on success it becomes `out` (mode 0644), on failure it is removed."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
        os.close(fd)
    except OSError as e:
        raise StageFailed("render", f"could not write {out}: {e}", retryable=True) from None
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an artifact is meant to be read
        os.replace(tmp, out)
    except OSError as e:
        raise StageFailed("render", f"could not write {out}: {e}", retryable=True) from None
    finally:
        tmp.unlink(missing_ok=True)

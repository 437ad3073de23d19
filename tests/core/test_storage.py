import pytest

from pipeline.errors import StorageError
from pipeline.storage import LocalStorage, job_key, source_key


def test_keys_are_laid_out_by_tenant_and_cannot_escape():
    assert job_key("Uni of X", "abc", "handout.pdf") == "t/Uni-of-X/jobs/abc/handout.pdf"
    assert job_key("../../etc", "..", "../passwd") == "t/etc/jobs/_/passwd"
    assert source_key("t1", "ab" * 32, ".mp4") == f"t/t1/sources/{'ab' * 32}.mp4"


def test_local_round_trip_and_no_half_written_files(tmp_path):
    store = LocalStorage(tmp_path / "files")
    src = tmp_path / "a.txt"
    src.write_text("hello")
    stored = store.put_file("t/x/jobs/1/a.txt", src)
    assert stored.size == 5 and len(stored.sha256) == 64
    assert store.get_file("t/x/jobs/1/a.txt", tmp_path / "b.txt").read_text() == "hello"
    assert not list((tmp_path / "files").rglob(".part-*"))
    with pytest.raises(StorageError, match="outside"):
        store.put_file("../outside.txt", src)
    with pytest.raises(StorageError, match="missing"):
        store.get_file("t/x/jobs/1/nope", tmp_path / "c.txt")
    assert "writable" in store.check()

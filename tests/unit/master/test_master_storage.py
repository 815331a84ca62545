"""AtomicJSONStorage: durable atomic writes, cached reads, loud failure on a damaged file."""

import json
import os

import pytest
from tinydb import TinyDB

from appliance.errors import ValidationError
from appliance.master.storage import AtomicJSONStorage, CorruptStorageError


def leftovers(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


def test_missing_and_empty_file_read_as_none(tmp_path):
    assert AtomicJSONStorage(tmp_path / "none.json").read() is None
    (tmp_path / "empty.json").write_text("  \n")
    assert AtomicJSONStorage(tmp_path / "empty.json").read() is None


def test_written_data_reloads_equal_and_unescaped(tmp_path):
    path = tmp_path / "db.json"
    data = {"products": {"1": {"name": "龙井茶", "price": 12800, "tags": ["绿茶", "杭州"]}}}
    AtomicJSONStorage(path).write(data)
    assert AtomicJSONStorage(path).read() == data
    assert "龙井茶" in path.read_text(encoding="utf-8")  # ensure_ascii=False
    assert leftovers(tmp_path) == []


def test_read_is_served_from_memory(tmp_path):
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"v": 1}}})
    path.write_text(json.dumps({"t": {"1": {"v": 2}}}))  # changed behind its back
    assert storage.read() == {"t": {"1": {"v": 1}}}


def test_failed_serialisation_keeps_old_file_and_drops_cache(tmp_path):
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"v": 1}}})
    before = path.read_bytes()
    data = storage.read()
    data["t"]["1"]["v"] = {1, 2}  # a set cannot be serialised; TinyDB mutates like this
    with pytest.raises(TypeError):
        storage.write(data)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert storage.read() == {"t": {"1": {"v": 1}}}  # reloaded from disk, not the bad dict


def test_failed_replace_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"v": 1}}})
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    data = storage.read()
    data["t"]["2"] = {"v": 2}
    with pytest.raises(OSError):
        storage.write(data)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert storage.read() == {"t": {"1": {"v": 1}}}


def test_corrupt_file_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text('{"products": {"1": {"name": "tea"')  # truncated
    with pytest.raises(CorruptStorageError) as info:
        AtomicJSONStorage(path).read()
    assert isinstance(info.value, ValidationError)
    assert str(path) in info.value.message
    path.write_text("[1, 2]")
    with pytest.raises(CorruptStorageError):
        AtomicJSONStorage(path).read()


def test_file_mode_new_and_preserved(tmp_path):
    path = tmp_path / "db.json"
    AtomicJSONStorage(path).write({})
    assert path.stat().st_mode & 0o777 == 0o640
    os.chmod(path, 0o600)
    AtomicJSONStorage(path).write({"a": {}})
    assert path.stat().st_mode & 0o777 == 0o600


def test_close_is_idempotent_and_final(tmp_path):
    storage = AtomicJSONStorage(tmp_path / "db.json")
    storage.close()
    storage.close()
    with pytest.raises(RuntimeError):
        storage.read()


def test_tinydb_round_trip(tmp_path):
    path = tmp_path / "db.json"
    with TinyDB(path, storage=AtomicJSONStorage) as db:
        db.table("staff").insert({"name": "小王", "role": "cashier"})
        db.table("staff").insert({"name": "老李", "role": "owner"})
        db.table("staff").update({"role": "manager"}, doc_ids=[1])
    with TinyDB(path, storage=AtomicJSONStorage) as db:
        assert db.table("staff").all() == [{"name": "小王", "role": "manager"},
                                           {"name": "老李", "role": "owner"}]

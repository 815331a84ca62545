"""Backups of the data directory, and restoring one (docs/backup.md).

A backup is one file ``tillbox-backup-<UTC time>-seq<head seq>.tar`` (``.tar.enc`` when
encrypted: with a passphrase given for it, or to the box's backup key, :mod:`.keys`) holding:

* ``manifest.json`` (first): format, device and store id, the journal copy's head seq and
  hash, the time, the tillbox version and the SHA-256 of every other member;
* ``ledger.db``: a consistent copy made with SQLite's online backup API from a read
  transaction (WAL: selling goes on while it is copied; the copy is the ledger as of the
  moment that transaction began, so it holds every sale acknowledged before the backup);
* the master data, the uplink cursor, the box's TLS certificates, ``receipt.key``,
  ``device.token``, ``format.json`` and ``setup.toml`` (each file read once: core replaces
  them atomically). Never the secrets file (it is not in the data directory).

See :mod:`.container` for the encryption and the whole-file checksum trailer.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import __version__
from ..durable import write_json
from ..errors import ValidationError
from ..ledger import open_readonly, verify, verify_file
from ..ledger.store import iter_records
from .container import (BackupInvalid, DecryptingReader, EncryptingWriter, HashingWriter,
                        LimitedReader, check_trailer, is_encrypted)

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

FORMAT = 1
NAME_RE = re.compile(r"^tillbox-backup-(\d{8}T\d{6}Z)-seq(\d+)\.tar(\.enc)?$")
#: Top-level files and directories of the data directory a backup holds (besides ledger.db).
FILES = ("format.json", "setup.toml", "receipt.key", "device.token", "backup-key.json")
DIRS = ("master", "uplink", "tls")
MEMBER_RE = re.compile(r"^(ledger\.db|(format\.json|setup\.toml|receipt\.key|device\.token"
                       r"|backup-key\.json)"
                       r"|(master|uplink|tls)/[A-Za-z0-9_.@+-]+(/[A-Za-z0-9_.@+-]+)*)$")
LEDGER_STEP_PAGES = 1024
#: Written (durably) before a restore starts moving files and removed when it is done: core
#: refuses to start while it exists, so a power cut mid-restore never lets it begin a new,
#: empty ledger (docs/backup.md, "A restore that was cut short").
RESTORE_MARKER = "restore-in-progress.json"

Progress = Callable[[str, int, int], None]  # (what, done, total)


def _no_progress(what: str, done: int, total: int) -> None:
    pass


class RestoreRefused(ValidationError):
    """Restoring would lose data or disturb a running box; ``--force`` or stopping helps."""

    code = "restore_refused"


@dataclass
class BackupInfo:
    path: Path
    created: str
    head_seq: int
    encrypted: bool
    size: int


def backup_dir(cfg) -> Path:
    return cfg.data_dir / "backups"


def list_backups(directory: Path) -> list[BackupInfo]:
    """The backups in ``directory``, oldest first (by their name's time)."""
    found = []
    if not directory.is_dir():
        return found
    for p in directory.iterdir():
        m = NAME_RE.match(p.name)
        if m and p.is_file():
            found.append(BackupInfo(p, m.group(1), int(m.group(2)), bool(m.group(3)),
                                    p.stat().st_size))
    # By how far the journal goes, then when written: a clock set wrong (a Pi before NTP)
    # must never make the newest backup look like the oldest.
    return sorted(found, key=lambda b: (b.head_seq, b.path.stat().st_mtime, b.path.name))


def rotate(directory: Path, keep: int, *, spare: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``directory`` (never ``spare``, the one
    just written); return what went."""
    gone = []
    backups = [b for b in list_backups(directory) if b.path != spare]
    for b in backups[:max(0, len(backups) - max(keep - (spare is not None), 0))]:
        b.path.unlink(missing_ok=True)
        gone.append(b.path)
    return gone


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def copy_ledger(src_path: Path, dest_path: Path, progress: Progress = _no_progress) -> None:
    """SQLite online backup of ``src_path`` into ``dest_path``, in steps.

    The source connection holds one read transaction for the whole copy: in WAL mode that
    never blocks core's writes, and the copy is exactly the database as of its start.
    """
    src = open_readonly(src_path)
    dst = sqlite3.connect(dest_path)
    try:
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # start the snapshot
        src.backup(dst, pages=LEDGER_STEP_PAGES, sleep=0,
                   progress=lambda status, remaining, total:
                   progress("ledger", total - remaining, total))
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


def _ledger_facts(path: Path) -> dict:
    meta, result = verify_file(path)
    if not result.ok:
        raise ValidationError(f"the ledger is broken, so it is not backed up: {result.line()}"
                              " (run `tillbox ledger verify`)")
    return {"device_id": meta.get("device_id", ""), "store_id": meta.get("store_id", ""),
            "head_seq": result.head_seq, "head_hash": result.head_hash}


def _collect_files(data_dir: Path) -> dict[str, bytes]:
    """Every other file a backup holds, each read once (core replaces them atomically)."""
    out: dict[str, bytes] = {}
    for name in FILES:
        try:
            out[name] = (data_dir / name).read_bytes()
        except FileNotFoundError:
            pass
    for d in DIRS:
        root = data_dir / d
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
            for fn in sorted(filenames):
                if fn.startswith(".") or fn.endswith(".tmp"):
                    continue  # an atomic write in progress
                p = Path(dirpath) / fn
                rel = p.relative_to(data_dir).as_posix()
                if not MEMBER_RE.match(rel) or not p.is_file():
                    continue
                try:
                    out[rel] = p.read_bytes()
                except FileNotFoundError:
                    pass
    return out


def _tar_add(tar: tarfile.TarFile, name: str, data: bytes | None = None,
             path: Path | None = None) -> None:
    info = tarfile.TarInfo(name)
    info.mode = 0o600
    info.mtime = int(time.time())
    if path is not None:
        info.size = path.stat().st_size
        with open(path, "rb") as fh:
            tar.addfile(info, fh)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def create_backup(cfg, *, dest: Path | None = None, passphrase: str | None = None,
                  recipient: tuple[bytes, bytes] | None = None,
                  progress: Progress = _no_progress, now: float | None = None) -> Path:
    """Write one backup file of ``cfg``'s data directory; return its path.

    Into ``dest`` (default ``<data>/backups``, then rotated to ``backup.keep`` files).
    Encrypted under ``passphrase``, or to ``recipient`` (the box's backup key, see
    :func:`.keys.load_recipient`), or not at all."""
    if passphrase is not None and recipient is not None:
        raise ValueError("a backup is encrypted with a passphrase or to a key, not both")
    encrypted = passphrase is not None or recipient is not None
    data_dir = cfg.data_dir
    ledger = cfg.ledger_path
    if not ledger.exists():
        raise ValidationError(f"no ledger at {ledger}: nothing to back up (check paths.data)")
    default_dest = dest is None
    dest = Path(dest) if dest is not None else backup_dir(cfg)
    if dest.exists() and not dest.is_dir():
        raise ValidationError(f"{dest} is not a directory")
    dest.mkdir(parents=True, exist_ok=True, mode=0o750)
    _remove_stale_work(dest)
    work = Path(tempfile.mkdtemp(prefix=".tillbox-backup-", dir=dest))
    try:
        copy = work / "ledger.db"
        copy_ledger(ledger, copy, progress)
        facts = _ledger_facts(copy)
        files = _collect_files(data_dir)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        manifest = {
            "format": FORMAT, "kind": "tillbox-backup",
            "device_id": facts["device_id"], "store_id": facts["store_id"],
            "head_seq": facts["head_seq"], "head_hash": facts["head_hash"],
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "tillbox_version": __version__, "encrypted": encrypted,
            "encryption": ("passphrase" if passphrase is not None
                           else "key" if recipient is not None else None),
            "members": {"ledger.db": _file_sha(copy),
                        **{name: _sha(data) for name, data in sorted(files.items())}},
        }
        name = (f"tillbox-backup-{stamp}-seq{facts['head_seq']}.tar"
                + (".enc" if encrypted else ""))
        final = dest / name
        tmp = work / (name + ".part")
        with open(tmp, "wb") as raw:
            os.fchmod(raw.fileno(), 0o600)
            hashing = HashingWriter(raw)
            sink = (EncryptingWriter(hashing, passphrase, recipient=recipient) if encrypted
                    else hashing)
            with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                _tar_add(tar, "manifest.json",
                         json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
                _tar_add(tar, "ledger.db", path=copy)
                for member, data in sorted(files.items()):
                    _tar_add(tar, member, data)
            if encrypted:
                sink.close()
            hashing.finish()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, final)
        _fsync_dir(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    audit.info("backup written: %s (head seq %d)", final, facts["head_seq"])
    if default_dest:
        for gone in rotate(dest, cfg.backup.keep, spare=final):
            log.info("rotated out old backup %s", gone)
    return final


def _remove_stale_work(dest: Path, age: float = 6 * 3600) -> None:
    """Working directories of backups that were killed midway (a power cut)."""
    for p in dest.glob(".tillbox-backup-*"):
        try:
            if p.is_dir() and time.time() - p.stat().st_mtime > age:
                shutil.rmtree(p, ignore_errors=True)
        except FileNotFoundError:
            pass


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unpack(path: Path, into: Path, *, passphrase: str | None = None,
           progress: Progress = _no_progress) -> dict:
    """Check ``path`` completely and extract it into the empty directory ``into``.

    Raises :class:`BackupInvalid` naming the first problem: the file's checksum, the
    decryption, the tar structure, a member's SHA-256, the ledger's hash chain and its head
    against the manifest. Returns the manifest."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"no backup file at {path}")
    body = check_trailer(path, lambda done, total: progress("checksum", done, total))
    encrypted = is_encrypted(path)
    if encrypted and passphrase is None:
        raise ValidationError("this backup is encrypted: give its passphrase")
    with open(path, "rb") as fh:
        stream = LimitedReader(fh, body, lambda done, total: progress("unpack", done, total))
        source = DecryptingReader(stream, passphrase) if encrypted else stream
        manifest = _extract(source, into)
    _check_ledger(into / "ledger.db", manifest)
    return manifest


def _extract(source, into: Path) -> dict:
    manifest = None
    seen: dict[str, str] = {}
    try:
        with tarfile.open(fileobj=source, mode="r|") as tar:
            for info in tar:
                name = info.name
                if manifest is None:
                    if name != "manifest.json" or not info.isreg() or info.size > 1 << 20:
                        raise BackupInvalid("the backup does not start with its manifest "
                                            "(not a tillbox backup)")
                    try:
                        manifest = json.loads(tar.extractfile(info).read().decode("utf-8"))
                    except ValueError:
                        raise BackupInvalid("the backup's manifest is not valid JSON") from None
                    _check_manifest(manifest)
                    continue
                if not info.isreg() or not MEMBER_RE.match(name) or name in seen \
                        or any(part in (".", "..") for part in name.split("/")):
                    raise BackupInvalid(f"the backup holds an unexpected member {name!r}")
                target = into / name
                if not target.resolve().is_relative_to(into.resolve()):
                    raise BackupInvalid(f"the backup holds an unexpected member {name!r}")
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
                h = hashlib.sha256()
                src = tar.extractfile(info)
                with open(target, "wb") as out:
                    os.fchmod(out.fileno(), 0o600 if name in ("receipt.key", "device.token")
                              or name.startswith("tls/") else 0o640)
                    for block in iter(lambda: src.read(1 << 20), b""):
                        h.update(block)
                        out.write(block)
                    out.flush()
                    os.fsync(out.fileno())
                seen[name] = h.hexdigest()
    except tarfile.TarError as exc:
        raise BackupInvalid(f"the backup's archive is damaged ({exc})") from None
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        raise BackupInvalid("the backup's members overlap (a file where a folder is)") from None
    except EOFError:
        raise BackupInvalid("the backup's archive is truncated") from None
    if manifest is None:
        raise BackupInvalid("the backup is empty (no manifest)")
    expected = manifest["members"]
    for name, digest in expected.items():
        if name not in seen:
            raise BackupInvalid(f"the backup is missing {name}, which its manifest lists")
        if seen[name] != digest:
            raise BackupInvalid(f"{name} in the backup does not match its SHA-256 in the "
                                "manifest (the backup was altered or damaged)")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise BackupInvalid(f"the backup holds {extra[0]}, which its manifest does not list")
    return manifest


def _check_manifest(m) -> None:
    ok = (isinstance(m, dict) and m.get("kind") == "tillbox-backup"
          and isinstance(m.get("members"), dict) and "ledger.db" in m["members"]
          and isinstance(m.get("head_seq"), int) and isinstance(m.get("head_hash"), str)
          and isinstance(m.get("device_id"), str) and isinstance(m.get("created_at"), str)
          and isinstance(m.get("store_id", ""), str)
          and all(isinstance(k, str) and isinstance(v, str) for k, v in m["members"].items()))
    if not ok:
        raise BackupInvalid("the backup's manifest is incomplete (not a tillbox backup)")
    if m.get("format") != FORMAT:
        raise BackupInvalid(f"the backup is format {m.get('format')!r}; this tillbox "
                            f"{__version__} reads format {FORMAT}")


def _check_ledger(path: Path, manifest: dict) -> None:
    try:
        conn = open_readonly(path)
        try:
            result = verify(iter_records(conn, stored=True))
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupInvalid(f"the ledger in the backup cannot be read ({exc})") from None
    if not result.ok:
        raise BackupInvalid(f"the ledger in the backup does not verify: {result.line()}")
    if (result.head_seq, result.head_hash) != (manifest["head_seq"], manifest["head_hash"]):
        raise BackupInvalid(f"the ledger in the backup ends at seq {result.head_seq}, not at "
                            f"the head its manifest names (seq {manifest['head_seq']})")


def verify_backup(path: Path, *, passphrase: str | None = None,
                  progress: Progress = _no_progress) -> dict:
    """Check a backup without restoring it (unpacks into a temporary directory)."""
    with tempfile.TemporaryDirectory(prefix="tillbox-verify-") as tmp:
        return unpack(path, Path(tmp), passphrase=passphrase, progress=progress)


def _current_ledger(path: Path, conn: sqlite3.Connection | None) -> dict | None:
    """Device and head of the ledger being replaced, read through the lock's connection."""
    if not path.exists():
        return None
    try:
        if conn is None:
            raise sqlite3.DatabaseError("not locked")
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
                           ).fetchone()
    except sqlite3.DatabaseError:
        return {"unreadable": True, "device_id": None, "head_seq": 0, "head_hash": ""}
    return {"unreadable": False, "device_id": meta.get("device_id"),
            "head_seq": row[0] if row else 0, "head_hash": row[1] if row else ""}


def _lock_ledger(path: Path) -> sqlite3.Connection | None:
    """Hold the ledger exclusively: fails at once while core (or any daemon) has it open."""
    if not path.exists():
        return None
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError:
        conn.close()
        raise RestoreRefused("the ledger is in use (core or another tillbox daemon is "
                             "running): stop them first with `systemctl stop tillbox.target`"
                             ) from None
    except sqlite3.DatabaseError:
        conn.close()
        return None  # damaged beyond opening: nothing can be using it either
    return conn


def restore(cfg, path: Path, *, passphrase: str | None = None, force: bool = False,
            progress: Progress = _no_progress) -> dict:
    """Replace ``cfg``'s data with the backup ``path`` after checking it fully.

    What is replaced is kept in ``<data>/backups/replaced-<time>/``. Returns the manifest."""
    data_dir = cfg.data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    lock = _lock_ledger(cfg.ledger_path)
    try:
        stage = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
        settled = False   # the stage goes unless a half-done swap still needs it
        try:
            manifest = unpack(path, stage, passphrase=passphrase, progress=progress)
            _refuse_newer(cfg, manifest, force, lock, stage / "ledger.db")
            _own_like(stage, data_dir)
            if lock is not None:
                # Everything committed into ledger.db itself: the WAL it leaves is empty, so
                # moving the files cannot lose a sale that lived only in the WAL.
                lock.execute("COMMIT")
                lock.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            kept = _swap(data_dir, stage, manifest)
            settled = True
        except BaseException:
            settled = not (data_dir / RESTORE_MARKER).exists()
            raise
        finally:
            if settled:
                shutil.rmtree(stage, ignore_errors=True)
    finally:
        if lock is not None:
            lock.close()
    audit.info("restored %s (head seq %d) into %s%s", path, manifest["head_seq"], data_dir,
                  f"; replaced data kept in {kept}" if kept else "")
    manifest["replaced_kept_in"] = str(kept) if kept else None
    return manifest


def _refuse_newer(cfg, manifest: dict, force: bool, lock, staged: Path) -> None:
    current = _current_ledger(cfg.ledger_path, lock)
    if current is None or force:
        return
    if current["unreadable"]:
        raise RestoreRefused(f"the ledger at {cfg.ledger_path} cannot be read; to replace it "
                             "with this backup anyway, add --force")
    if current["device_id"] != manifest["device_id"]:
        raise RestoreRefused(f"the ledger here belongs to device {current['device_id']!r}, the "
                             f"backup to {manifest['device_id']!r}; to replace it anyway, add "
                             "--force")
    if current["head_seq"] > manifest["head_seq"]:
        raise RestoreRefused(f"the ledger here is newer (seq {current['head_seq']}) than the "
                             f"backup (seq {manifest['head_seq']}): restoring would lose "
                             f"{current['head_seq'] - manifest['head_seq']} records; to do it "
                             "anyway, add --force")
    if current["head_seq"] and _hash_at(staged, current["head_seq"]) != current["head_hash"]:
        # Not a continuation of this ledger (a backup from a history that split off): the
        # records here after the split would be lost.
        raise RestoreRefused(f"the ledger here has other records than the backup at seq "
                             f"{current['head_seq']} (the two histories split); to replace it "
                             "anyway, add --force")


def _hash_at(ledger: Path, seq: int) -> str | None:
    conn = open_readonly(ledger)
    try:
        row = conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def _own_like(stage: Path, data_dir: Path) -> None:
    """Run as root (``sudo tillbox restore``): give the restored files to the data
    directory's owner (the tillbox user), or core could not write them."""
    if os.geteuid() != 0:
        return
    st = data_dir.stat()
    for dirpath, dirnames, filenames in os.walk(stage):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), st.st_uid, st.st_gid)
    os.chown(stage, st.st_uid, st.st_gid)


def _swap(data_dir: Path, stage: Path, manifest: dict) -> Path | None:
    """Move what the backup replaces aside, then the backup's files into place."""
    names = sorted({m.split("/")[0] for m in manifest["members"]})
    aside = ["ledger.db-wal", "ledger.db-shm", "ledger.db-journal"] + [
        n for n in FILES + DIRS if n not in names]
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
    kept = data_dir / "backups" / f"replaced-{stamp}"
    n = 1
    while kept.exists():
        n += 1
        kept = data_dir / "backups" / f"replaced-{stamp}-{n}"
    moved: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    marker = data_dir / RESTORE_MARKER
    write_json(marker, {"kept": str(kept), "stage": str(stage), "manifest_head_seq":
                        manifest["head_seq"]})
    _fsync_dir(data_dir)
    # ledger.db with its -wal/-shm first, one right after the other
    order = [n for n in ("ledger.db", "ledger.db-wal", "ledger.db-shm", "ledger.db-journal")
             if n in names + aside] + [n for n in names + aside if not n.startswith("ledger.db")]
    try:
        for n in order:
            p = data_dir / n
            if p.exists():
                if not kept.exists():
                    kept.mkdir(parents=True, exist_ok=True, mode=0o750)
                    _own_like_dir(kept, data_dir)
                os.replace(p, kept / n)
                moved.append((kept / n, p))
        for n in names:
            os.replace(stage / n, data_dir / n)
            placed.append(data_dir / n)
        _fsync_dir(data_dir)
    except BaseException:   # an error or Ctrl-C: put everything back as it was
        for p in placed:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        for src, dst in reversed(moved):
            os.replace(src, dst)
        _fsync_dir(data_dir)
        marker.unlink(missing_ok=True)
        raise
    marker.unlink()
    _fsync_dir(data_dir)
    return kept if moved else None


def _own_like_dir(path: Path, data_dir: Path) -> None:
    """Folders a root restore makes under the data directory (backups/, replaced-*) belong
    to the data directory's owner: the nightly backup, as that user, writes there."""
    if os.geteuid() != 0:
        return
    st = data_dir.stat()
    for p in (path.parent, path):
        if p.is_relative_to(data_dir):
            os.chown(p, st.st_uid, st.st_gid)

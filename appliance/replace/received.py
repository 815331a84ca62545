"""Head office's journal received over the MQTT link (``cmd/journal.restore``; docs/mqtt.md,
docs/replacing-a-box.md "Rebuild over the network").

``tillbox headoffice send-history`` publishes the device journal file that ``export-device``
writes (appliance.replace.journal_file) as numbered parts. Each part reaches core through
uplinkd (``POST /api/v1/device/journal-restore``) and is stored durably on its own under
``<data>/rebuild/<transfer>/``: the same part twice is fine, parts may come in any order. When
every part is there, a background thread assembles ``journal.jsonl`` (a device journal file
``tillbox ledger import FILE`` reads unchanged), verifies it whole (rebuild.check_file: every
hash and link, the head its header names) and records "ready" in ``<data>/rebuild/status.json``.

Applying it needs the till stopped (rebuild.py refuses a ledger in use): the settings page's
"Rebuild now" writes ``<data>/rebuild/requested``; ``tillbox-rebuild.path`` starts
``tillbox-rebuild.service``, which stops tillbox.target, runs ``tillbox ledger import
--received`` as the data directory's owner, and starts the till again (apply.py). The outcome
(done, or failed with the import's one-line reason) is written to the status file.

Nothing here is a journal record: the ledger must stay empty until the import.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import threading
import time
from pathlib import Path

from ..clock import SystemClock, format_ts
from ..durable import read_json, write_bytes, write_json
from ..errors import ValidationError
from ..i18n import _
from ..ledger.records import Record, canonical_json
from . import journal_file

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

DIR = "rebuild"
STATUS = "status.json"
REQUESTED = "requested"
FILE = "journal.jsonl"
TRANSFER = "transfer.json"
TRANSFER_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
PART_RE = re.compile(r"part-\d{6}\.json")
MAX_PARTS = 100_000
#: Free space kept on the data partition beyond what a part (twice its size) or the assembled
#: file (twice the parts' total) needs: the till must go on selling and journalling.
RESERVE = 50 * 1024 * 1024
#: Until the COMMIT the ledger has nothing: a request nothing picked up after this long is
#: shown as such on the page (the till's rebuild service is not running).
UNFINISHED = ("receiving", "checking")

#: The reasons (``reason``) and warnings the page shows, as codes it translates
#: (settings_rebuild.py): never a file path. The full text stays in ``detail`` and the log.
REASONS = ("not_verified", "parts_unreadable", "no_space", "file_missing", "ledger_not_empty",
           "import_refused", "crashed", "stopped")
WARNINGS = ("cursor_not_set", "settings_not_restored")
#: states in which the received file can be applied (a failed import can be tried again)
APPLICABLE = ("ready", "failed")

_lock = threading.RLock()
_checking: dict[str, threading.Thread] = {}


class PartRefused(ValidationError):
    """The part is not taken (cmd_ack ``rejected`` with this message)."""

    code = "journal_restore_refused"


def rebuild_dir(cfg) -> Path:
    return Path(cfg.data_dir) / DIR


def read_status(cfg) -> dict:
    """The status file (``{}`` when head office never sent anything)."""
    try:
        doc = read_json(rebuild_dir(cfg) / STATUS, {})
    except ValueError:
        return {"state": "unreadable"}
    return doc if isinstance(doc, dict) else {"state": "unreadable"}


def write_status(cfg, doc: dict, clock=None) -> dict:
    doc = {**doc, "updated_at": format_ts((clock or SystemClock()).now())}
    d = rebuild_dir(cfg)
    d.mkdir(parents=True, exist_ok=True, mode=0o750)
    write_json(d / STATUS, doc)
    return doc


def _part_name(n: int) -> str:
    return f"part-{n:06d}.json"


def _refuse(message: str, field: str = "lines") -> PartRefused:
    return PartRefused(message, field=field)


def _check_args(args: dict) -> tuple[str, int, int, dict | None, list[dict]]:
    transfer = args.get("transfer")
    if not isinstance(transfer, str) or not TRANSFER_RE.fullmatch(transfer):
        raise _refuse(_("transfer must be 1 to 64 letters, digits, _ or -"), "transfer")
    part, parts = args.get("part"), args.get("parts")
    for name, value in (("part", part), ("parts", parts)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _refuse(_("{name} must be a whole number", name=name), name)
    if not 1 <= parts <= MAX_PARTS or not 1 <= part <= parts:
        raise _refuse(_("part {part} of {parts} is impossible", part=part, parts=parts),
                      "part")
    header = args.get("header")
    if header is not None:
        try:
            header = journal_file.read_header(io.StringIO(json.dumps(header) + "\n"))
        except (journal_file.JournalFileError, TypeError, ValueError) as exc:
            raise _refuse(_("the header is not a device journal header: {reason}",
                            reason=str(exc)), "header") from None
    if header is not None:
        most = max(1, header["head_seq"] - header.get("first_seq", 1) + 1)
        if parts > most:
            raise _refuse(_("{parts} parts for {n} records is impossible", parts=parts,
                            n=most), "parts")
    lines = args.get("lines")
    if not isinstance(lines, list) or not lines:
        raise _refuse(_("lines must be a non-empty list of journal records"))
    prev = None
    for i, obj in enumerate(lines, start=1):
        try:
            rec = Record.from_dict(obj)
        except (ValueError, TypeError) as exc:
            raise _refuse(_("line {n} of part {part} is not a journal record: {reason}",
                            n=i, part=part, reason=str(exc))) from None
        if prev is not None and rec.seq != prev + 1:
            raise _refuse(_("part {part} skips from seq {a} to seq {b}", part=part, a=prev,
                            b=rec.seq))
        prev = rec.seq
    take_ids = args.get("take_ids", False)
    if not isinstance(take_ids, bool):
        raise _refuse(_("{name} must be true or false", name="take_ids"), "take_ids")
    return transfer, part, parts, header, lines, take_ids


def receive_part(cfg, ledger_head: int, args: dict, *, clock=None,
                 background: bool = True) -> dict:
    """Store one part of a transfer; returns {"detail", "status"}. PartRefused says why a part
    is not taken. When the last missing part arrives the journal is assembled and checked (in
    a background thread unless ``background`` is false)."""
    if not isinstance(args, dict):
        raise _refuse(_("the command's args must be an object"), "args")
    transfer, part, parts, header, lines, take_ids = _check_args(args)
    store, device = cfg.shop.store_id, cfg.shop.device_id
    if ledger_head:
        raise _refuse(_("this box's ledger already holds {n} records: head office's history "
                        "is taken only into an empty ledger (a new box)", n=ledger_head),
                      "ledger")
    if header is not None and (header["store"] != store or (header["device"] != device
                                                          and not take_ids)):
        raise _refuse(_("this is the journal of store {hstore} device {hdevice}, but this box "
                        "is store {store} device {device}", hstore=header["store"],
                        hdevice=header["device"], store=store, device=device), "header")
    clock = clock or SystemClock()
    with _lock:
        status = read_status(cfg)
        if status.get("state") in ("requested", "applying"):
            raise _refuse(_("a rebuild from head office's history is being applied on this "
                            "box: send again later"), "transfer")
        tdir = rebuild_dir(cfg) / transfer
        meta = _read_meta(tdir)
        mine = meta.get("state") if meta else None
        if meta is not None and mine is None and status.get("transfer") == transfer:
            mine = status.get("state")      # a transfer.json from before states were kept there
        if mine == "superseded":
            raise _refuse(_("transfer {transfer} was replaced by a newer one: send the "
                            "history again", transfer=transfer), "transfer")
        if mine == "bad":
            raise _refuse(_("transfer {transfer} did not verify ({reason}): send the history "
                            "again", transfer=transfer, reason=meta.get("detail", "")),
                          "transfer")
        if mine in ("checking", "ready", "failed"):
            return {"status": status, "detail": f"part {part}/{parts}: the whole transfer is "
                    f"here already ({mine})"}
        data = canonical_json({"part": part, "lines": lines}).encode("utf-8")
        _need_space(cfg, 2 * len(data) + RESERVE)
        if meta is None:
            _supersede_unfinished(cfg, transfer)
            tdir.mkdir(parents=True, exist_ok=True, mode=0o750)
            meta = {"transfer": transfer, "parts": parts, "header": header,
                    "take_ids": take_ids, "started_at": format_ts(clock.now()),
                    "order": _next_order(cfg), "state": "receiving"}
            write_json(tdir / TRANSFER, meta)
        if meta.get("take_ids", False) != take_ids:
            raise _refuse(_("part {part} says otherwise than the transfer's earlier parts "
                            "whether this box takes the device id", part=part), "take_ids")
        if meta["parts"] != parts:
            raise _refuse(_("transfer {transfer} has {parts} parts, not {n}",
                            transfer=transfer, parts=meta["parts"], n=parts), "parts")
        if header is not None:
            if meta.get("header") is None:
                meta["header"] = header
                write_json(tdir / TRANSFER, meta)
            elif meta["header"] != header:
                raise _refuse(_("part {part} names another header than the transfer's "
                                "earlier parts", part=part), "header")
        path = tdir / _part_name(part)
        again = path.exists()
        if again:
            if path.read_bytes() != data:
                raise _refuse(_("part {part} of transfer {transfer} came before with other "
                                "records", part=part, transfer=transfer), "part")
        else:
            write_bytes(path, data)
        have = sum(1 for name in os.listdir(tdir) if PART_RE.fullmatch(name))
        named = meta.get("header") or {}
        doc = {"state": "receiving", "transfer": transfer, "parts": parts, "received": have,
               "store": named.get("store", store), "device": named.get("device", device),
               "take_ids": take_ids}
        if have == parts and meta.get("header") is not None:
            doc["state"] = "checking"
            _set_meta(tdir, meta, state="checking")
        doc = write_status(cfg, doc, clock)
    if doc["state"] == "checking":
        log.info("head office's journal: all %d parts of transfer %s here, checking", parts,
                 transfer)
        start_check(cfg, transfer, background=background, clock=clock)
        return {"status": read_status(cfg),
                "detail": f"part {part}/{parts} stored; all parts here: checking "
                          f"{meta['header']['head_seq']} records"}
    more = "" if have < parts else "; waiting for the part with the header"
    return {"status": doc, "detail": (f"part {part}/{parts} was here already" if again else
                                      f"part {part}/{parts} stored") + f" ({have} of {parts})"
                                     + more}


def _read_meta(tdir: Path) -> dict | None:
    try:
        meta = read_json(tdir / TRANSFER, None)
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


def _set_meta(tdir: Path, meta: dict, **changes) -> dict:
    meta.update(changes)
    if tdir.is_dir():
        write_json(tdir / TRANSFER, meta)
    return meta


def _transfers(cfg) -> list[tuple[int, Path, dict]]:
    """Every transfer's (order, directory, transfer.json), oldest first."""
    out = []
    d = rebuild_dir(cfg)
    if not d.is_dir():
        return out
    for sub in d.iterdir():
        if sub.is_dir() and TRANSFER_RE.fullmatch(sub.name):
            meta = _read_meta(sub) or {}
            order = meta.get("order")
            out.append((order if isinstance(order, int) else 0, sub, meta))
    return sorted(out, key=lambda t: t[0])


def _next_order(cfg) -> int:
    return max([o for o, _d, _m in _transfers(cfg)] + [0]) + 1


def _supersede_unfinished(cfg, newcomer: str) -> None:
    """A new transfer starts: the parts of other unfinished transfers are dropped (their
    transfer.json stays, saying "superseded", so their late parts are refused). A ready or
    failed transfer stays until a newer one is ready."""
    status = read_status(cfg)
    for _order, sub, meta in _transfers(cfg):
        state = meta.get("state") or (status.get("state") if status.get("transfer") == sub.name
                                      else "receiving")
        if sub.name == newcomer or state not in UNFINISHED:
            continue
        for f in sub.iterdir():
            if f.name != TRANSFER:
                f.unlink(missing_ok=True)
        _set_meta(sub, meta, state="superseded")
        log.warning("head office's transfer %s is replaced by the newer %s: its parts are "
                    "dropped", sub.name, newcomer)


def _free(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _need_space(cfg, need: int) -> None:
    d = rebuild_dir(cfg)
    d.mkdir(parents=True, exist_ok=True, mode=0o750)
    free = _free(d)
    if free < need:
        raise _refuse(_("not enough free space on this box: {need} MB needed, {free} MB "
                        "free", need=-(-need // 2**20), free=free // 2**20), "space")


def start_check(cfg, transfer: str, *, background: bool = True, clock=None) -> None:
    """Assemble and verify a complete transfer, once at a time per transfer."""
    with _lock:
        running = _checking.get(transfer)
        if running is not None and running.is_alive():
            return
        if not background:
            _checking.pop(transfer, None)
        else:
            t = threading.Thread(target=assemble, args=(cfg, transfer), kwargs={"clock": clock},
                                 name=f"rebuild-check-{transfer}", daemon=True)
            _checking[transfer] = t
            t.start()
            return
    assemble(cfg, transfer, clock=clock)


def resume(cfg) -> dict:
    """A check cut short (core restarted meanwhile) is started again; returns the status."""
    status = read_status(cfg)
    if status.get("state") == "checking" and isinstance(status.get("transfer"), str):
        start_check(cfg, status["transfer"])
    return status


def _current(cfg, transfer: str) -> bool:
    """The page's status is this transfer's (no newer transfer took over meanwhile)."""
    return read_status(cfg).get("transfer") == transfer


def assemble(cfg, transfer: str, *, clock=None) -> dict:
    """Write ``journal.jsonl`` from the parts, verify it, record "ready" (or "bad") in the
    transfer's own transfer.json, and in the page's status while it is the newest transfer."""
    from .rebuild import ImportRefused, check_file
    clock = clock or SystemClock()
    tdir = rebuild_dir(cfg) / transfer
    with _lock:   # a check that finished meanwhile (resume() saw it still checking)
        status = read_status(cfg)
        if status.get("transfer") != transfer or status.get("state") != "checking":
            return status
        meta = _read_meta(tdir) or {}
        parts_size = sum(f.stat().st_size for f in tdir.iterdir() if PART_RE.fullmatch(f.name))
        try:
            _need_space(cfg, 2 * parts_size + RESERVE)
        except PartRefused as exc:
            return _finish_bad(cfg, transfer, exc.message, clock, reason="no_space")
    started = time.monotonic()
    try:
        header = meta["header"]
        target = tdir / FILE
        tmp = tdir / f".{FILE}.tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(canonical_json(header) + "\n")
            for n in range(1, meta["parts"] + 1):
                with open(tdir / _part_name(n), encoding="utf-8") as fh:
                    for obj in json.load(fh)["lines"]:
                        out.write(canonical_json(obj) + "\n")
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(target)
        checked = check_file(target)
    except ImportRefused as exc:
        return _finish_bad(cfg, transfer, str(exc), clock, reason="not_verified")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return _finish_bad(cfg, transfer, f"the parts cannot be put together: {exc}", clock,
                           reason="parts_unreadable")
    with _lock:
        meta = _read_meta(tdir)
        if meta is None or meta.get("state") != "checking" or not _current(cfg, transfer):
            # a newer transfer took over meanwhile: this one's result is not the page's
            log.warning("head office's transfer %s checked out, but a newer transfer took "
                        "over meanwhile: it is left alone", transfer)
            return read_status(cfg)
        _set_meta(tdir, meta, state="ready")
        doc = write_status(cfg, {
            "state": "ready", "transfer": transfer, "parts": meta["parts"],
            "received": meta["parts"], "store": checked["store"], "device": checked["device"],
            "records": checked["head_seq"], "head_seq": checked["head_seq"],
            "head_hash": checked["head_hash"], "received_at": format_ts(clock.now()),
            "take_ids": bool(meta.get("take_ids")),
            "file": str(target)}, clock)
        mine = meta.get("order", 0)
        for order, other, ometa in _transfers(cfg):   # older transfers are not needed now
            if other.name != transfer and order < mine:
                for f in other.iterdir():
                    if f.name != TRANSFER:
                        shutil.rmtree(f) if f.is_dir() else f.unlink(missing_ok=True)
                _set_meta(other, ometa, state="superseded")
        for n in range(1, meta["parts"] + 1):       # the file holds them all
            (tdir / _part_name(n)).unlink(missing_ok=True)
    log.info("head office's journal of %s/%s is here and verifies: %d records, head seq %d "
             "(checked in %.1f s)", checked["store"], checked["device"], checked["head_seq"],
             checked["head_seq"], time.monotonic() - started)
    return doc


def _finish_bad(cfg, transfer: str, detail: str, clock, *, reason: str) -> dict:
    log.error("head office's journal (transfer %s) does not verify: %s", transfer, detail)
    with _lock:
        tdir = rebuild_dir(cfg) / transfer
        meta = _read_meta(tdir)
        if meta is None or meta.get("state") != "checking" or not _current(cfg, transfer):
            return read_status(cfg)     # a newer transfer took over: not the page's business
        for f in tdir.iterdir():
            if f.name != TRANSFER:
                f.unlink(missing_ok=True)
        _set_meta(tdir, meta, state="bad", detail=detail)
        return write_status(cfg, {"state": "bad", "transfer": transfer, "detail": detail,
                                  "reason": reason, "store": cfg.shop.store_id,
                                  "device": cfg.shop.device_id}, clock)


def ready_file(cfg) -> tuple[Path, dict]:
    """The received file that can be applied now, and the status; ValidationError else."""
    status = read_status(cfg)
    state = status.get("state")
    if state not in APPLICABLE + ("requested", "applying") or not status.get("file"):
        raise ValidationError(_("head office's history is not here (or not checked yet): "
                                "nothing to rebuild from"), field="state")
    path = Path(status["file"])
    if path.parent.parent != rebuild_dir(cfg) or not path.is_file():
        raise ValidationError(_("the received history file is missing: ask head office to "
                                "send it again"), field="state")
    return path, status


def request_rebuild(cfg, staff_id: str, ledger_head: int, clock=None) -> dict:
    """The owner's "Rebuild now": the request file tillbox-rebuild.path waits for."""
    with _lock:
        path, status = ready_file(cfg)
        if status.get("state") not in APPLICABLE:
            raise ValidationError(_("a rebuild has been asked for already"), field="state")
        if ledger_head:
            raise ValidationError(_("this box's ledger already holds {n} records: head "
                                    "office's history is taken only into an empty ledger",
                                    n=ledger_head), field="ledger")
        clock = clock or SystemClock()
        at = format_ts(clock.now())
        write_json(rebuild_dir(cfg) / REQUESTED, {"transfer": status["transfer"],
                                                  "by": staff_id, "at": at})
        doc = write_status(cfg, {**status, "state": "requested", "requested_by": staff_id,
                                 "requested_at": at, "detail": "", "reason": "",
                                 "warnings": []}, clock)
    audit.info("rebuild from head office's history requested by %s: %s records of %s/%s",
               staff_id, status.get("records"), status.get("store"), status.get("device"))
    return doc


def claim_request(cfg, clock=None) -> dict | None:
    """tillbox-rebuild.service's first step (as the data owner): the request is taken away
    (so the path unit does not fire again) and the status says "applying". None when there
    is nothing to apply."""
    req = rebuild_dir(cfg) / REQUESTED
    with _lock:
        if not req.exists():
            return None
        req.unlink()
        if read_status(cfg).get("state") not in APPLICABLE + ("requested",):
            return None     # applied by hand meanwhile (`tillbox ledger import --received`)
        try:
            _path, status = ready_file(cfg)
        except ValidationError as exc:
            write_status(cfg, {**read_status(cfg), "state": "failed", "detail": exc.message,
                               "reason": "file_missing"}, clock)
            return None
        return write_status(cfg, {**status, "state": "applying"}, clock)


def record_outcome(cfg, ok: bool, detail: str, summary: dict | None = None,
                   clock=None, *, reason: str = "import_refused",
                   warnings: list[str] | None = None) -> dict:
    """After ``tillbox ledger import --received``: done (the file is removed: the ledger holds
    it now; ``warnings``: codes of what failed after the COMMIT) or failed with the import's
    one-line reason (``detail``, for the log and the CLI) and its code (``reason``, for the
    page); the file stays, to try again."""
    clock = clock or SystemClock()
    with _lock:
        status = read_status(cfg)
        doc = {**status, "state": "done" if ok else "failed", "detail": detail,
               "reason": "" if ok else reason, "warnings": list(warnings or []),
               "applied_at" if ok else "failed_at": format_ts(clock.now())}
        if ok:
            (rebuild_dir(cfg) / REQUESTED).unlink(missing_ok=True)   # nothing left to do
            if status.get("file"):
                tdir = Path(status["file"]).parent
                Path(status["file"]).unlink(missing_ok=True)
                for f in (tdir.iterdir() if tdir.is_dir() else ()):
                    if f.name != TRANSFER:
                        f.unlink(missing_ok=True)
                meta = _read_meta(tdir)
                if meta is not None:
                    _set_meta(tdir, meta, state="applied")
            doc["file"] = ""
            if summary:
                doc.update({k: summary[k] for k in ("records", "head_seq", "head_hash")
                            if k in summary})
        return write_status(cfg, doc, clock)


def mark_stopped(cfg, exit_code: int, clock=None) -> dict | None:
    """tillbox-rebuild.service's last step (as the data owner), whatever happened before: a
    status still "requested" or "applying" means the import never recorded its outcome (a
    child crashed or was killed, the service was stopped): it becomes failed. None when the
    outcome is recorded already."""
    with _lock:
        status = read_status(cfg)
        if status.get("state") not in ("requested", "applying"):
            return None
        (rebuild_dir(cfg) / REQUESTED).unlink(missing_ok=True)
        log.error("the rebuild stopped before it recorded its outcome (exit %d)", exit_code)
        return write_status(cfg, {**status, "state": "failed", "reason": "stopped",
                                  "detail": f"failed (stopped, exit {exit_code})",
                                  "failed_at": format_ts((clock or SystemClock()).now())},
                            clock)


def public_status(status: dict) -> dict:
    """What the settings page sees: codes it translates, never a file path or ``detail``."""
    keys = ("state", "transfer", "parts", "received", "store", "device", "records",
            "head_seq", "head_hash", "take_ids", "received_at", "requested_at", "applied_at",
            "failed_at", "updated_at")
    out = {k: status.get(k) for k in keys if k in status}
    if status.get("state") in ("bad", "failed"):
        reason = status.get("reason")
        out["reason"] = reason if reason in REASONS else "import_refused"
    out["warnings"] = [w for w in status.get("warnings") or () if w in WARNINGS]
    return out

"""A simulated TSPL label printer that keeps what it printed.

It takes TSPL bytes (``_raw``, like a python-escpos printer object), reads the programs back
(:func:`parse_tspl`) and files each printed label as ``state_dir/labels/NNNNNN.json``, so
tests and the /sim page see the labels as text and barcodes. ``state_dir/faults.json`` can
switch it ``offline`` (every write fails, as an unplugged printer's would) or ``paper_out``
(nothing printed: the job fails). Files are written atomically under ``state_dir/.lock``:
printerd writes and the web UI reads from another process.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from appliance.durable import write_json
from drivers import simstate
from drivers.printer.transport import PrinterUnavailable

from .tspl import ENCODING

log = logging.getLogger(__name__)

FAULT_DEFAULTS = {"offline": False, "paper_out": False}
_STRING = re.compile(r'"((?:\\\["\]|[^"])*)"')   # an escaped quote first, else any but "


def _strings(line: str) -> list[str]:
    return [s.replace('\\["]', '"') for s in _STRING.findall(line)]


def _numbers(args: str) -> list[str]:
    return [a.strip() for a in _STRING.sub("", args).split(",")]


def parse_tspl(data: bytes) -> list[dict]:
    """The labels a TSPL stream prints: one dict per PRINT, with its size, gap, texts,
    barcodes and copies. Unknown commands are listed under ``unknown``."""
    labels: list[dict] = []
    page: dict = {"size": "", "gap": "", "direction": "", "texts": [], "barcodes": [],
                  "unknown": []}
    for raw in data.split(b"\r\n"):
        if not raw.strip():
            continue
        line = raw.decode(ENCODING, errors="replace")
        cmd, _, args = line.partition(" ")
        if cmd == "SIZE":
            page["size"] = args
        elif cmd == "GAP":
            page["gap"] = args
        elif cmd == "DIRECTION":
            page["direction"] = args
        elif cmd == "CLS":
            page["texts"], page["barcodes"] = [], []
        elif cmd == "TEXT":
            n = _numbers(args)
            font, text = _strings(args)
            page["texts"].append({"x": int(n[0]), "y": int(n[1]), "font": font,
                                  "scale": int(n[4]), "text": text})
        elif cmd == "BARCODE":
            n = _numbers(args)
            kind, code = _strings(args)
            page["barcodes"].append({"x": int(n[0]), "y": int(n[1]), "type": kind,
                                     "height": int(n[3]), "data": code})
        elif cmd == "PRINT":
            sets, _, copies = args.partition(",")
            labels.append({**page, "texts": list(page["texts"]),
                           "barcodes": list(page["barcodes"]), "unknown": list(page["unknown"]),
                           "copies": int(sets) * int(copies or 1)})
        else:
            page["unknown"].append(line)
    return labels


_locked = simstate.locked
_read_json = simstate.read_json


def read_faults(state_dir: Path) -> dict:
    stored = _read_json(Path(state_dir) / "faults.json") or {}
    return {**FAULT_DEFAULTS, **{k: v for k, v in stored.items() if k in FAULT_DEFAULTS}}


def write_faults(state_dir: Path, **changes) -> dict:
    for key, value in changes.items():
        if key not in FAULT_DEFAULTS or not isinstance(value, bool):
            raise ValueError(f"label printer fault {key}={value!r}: use "
                             f"{', '.join(FAULT_DEFAULTS)} = true or false")
    state_dir = Path(state_dir)
    with _locked(state_dir):
        faults = {**read_faults(state_dir), **changes}
        write_json(state_dir / "faults.json", faults)
    return faults


def printed_labels(state_dir: Path, limit: int = 20) -> list[dict]:
    """The last labels printed, newest first."""
    return simstate.newest_pieces(state_dir, "labels", limit)


def clear_labels(state_dir: Path) -> None:
    simstate.clear_pieces(state_dir, "labels")


class SimulatedLabelPrinter:
    """The label printer of ``label_printer.backend = "simulated"``."""

    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        self.device_name = f"simulated label printer in {self.state_dir}"
        self._closed = False

    def _raw(self, data: bytes) -> None:
        if self._closed:
            raise PrinterUnavailable("closed", f"{self.device_name} is closed")
        faults = read_faults(self.state_dir)
        if faults["offline"]:
            raise PrinterUnavailable("refused", f"{self.device_name}: offline (fault switch)",
                                     self.device_name)
        if faults["paper_out"]:
            raise PrinterUnavailable("paper_out", f"{self.device_name}: out of labels",
                                     self.device_name)
        labels = parse_tspl(data)
        simstate.add_pieces(self.state_dir, "labels",
                            [{**label, "bytes": len(data)} for label in labels])
        log.info("%s: printed %d label(s)", self.device_name, len(labels))

    def close(self) -> None:
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""The label printer for ``label_printer.backend``: TSPL over USB (pyusb, through
python-escpos's Usb as drivers/printer/transport.py opens it), over the network (raw TCP,
port 9100), or the simulated one. The ``receipt`` backend has no device of its own: printerd
prints those labels on the receipt printer.

Every object returned is open, has ``_raw(bytes)``, an idempotent ``close()`` and a
``device_name``; failures raise :class:`PrinterUnavailable` with a short reason and a fix.
"""

from __future__ import annotations

from pathlib import Path

from drivers.printer import transport
from drivers.printer.transport import PrinterUnavailable

from .simulated import SimulatedLabelPrinter

BACKENDS = ("none", "simulated", "receipt", "usb", "network")
DEVICE_BACKENDS = ("simulated", "usb", "network")

__all__ = ["BACKENDS", "DEVICE_BACKENDS", "PrinterUnavailable", "describe",
           "open_label_printer"]


def describe(backend: str, *, usb_vendor: int = 0, usb_product: int = 0, host: str = "",
             port: int = 9100, state_dir: Path | None = None) -> str:
    if backend == "usb":
        return f"label printer usb {usb_vendor:04x}:{usb_product:04x}"
    if backend == "network":
        return f"label printer network {host}:{port}"
    if backend == "simulated":
        return "simulated label printer"
    if backend == "receipt":
        return "the receipt printer"
    if backend == "none":
        return "no label printer"
    raise ValueError(f"unknown label printer backend {backend!r}: use one of "
                     f"{', '.join(BACKENDS)}")


def open_label_printer(backend: str, *, usb_vendor: int = 0, usb_product: int = 0,
                       host: str = "", port: int = 9100, timeout: float = 5.0,
                       state_dir: Path | None = None):
    """The opened label printer. ValueError for settings that cannot work."""
    name = describe(backend, usb_vendor=usb_vendor, usb_product=usb_product, host=host,
                    port=port)
    if backend == "simulated":
        if state_dir is None:
            raise ValueError("the simulated label printer needs a state directory")
        return SimulatedLabelPrinter(state_dir)
    if backend == "usb":
        if not (usb_vendor and usb_product):
            raise ValueError("a usb label printer needs label_printer.usb_vendor and "
                             "usb_product (see lsusb)")
    elif backend == "network":
        if not host:
            raise ValueError("a network label printer needs label_printer.host (its IP "
                             "address)")
    else:
        raise ValueError(f"{name} is not a device to open")
    try:
        printer = transport.open_printer(backend, usb_vendor=usb_vendor,
                                         usb_product=usb_product, host=host, port=port,
                                         timeout=timeout)
    except PrinterUnavailable as exc:
        raise PrinterUnavailable(exc.reason, f"label {exc}", name) from exc
    printer.device_name = name
    return printer

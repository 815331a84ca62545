"""The python-escpos printer object for the configured ``printer.backend``.

Backends: ``usb`` (pyusb), ``serial`` (pyserial), ``network`` (raw TCP, port 9100),
``simulated`` (the same, to the virtual printer on loopback) and ``file`` (the kernel's usblp
device, /dev/usb/lp0). Every object returned is opened (errors show here, not at the first
receipt), is a context manager with an idempotent ``close()``, and has a ``device_name`` for
logs. Opening failures raise :class:`PrinterUnavailable` with a short ``reason`` code.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import select
import socket
import time

from escpos.capabilities import get_profile
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File, Network, Serial, Usb

try:
    import usb.core
    import usb.util
except ImportError:  # the usb backend reports it when asked for; the others work without
    usb = None

log = logging.getLogger(__name__)

BACKENDS = ("usb", "serial", "network", "simulated", "file")
SIMULATED_HOST = "127.0.0.1"


class PrinterUnavailable(Exception):
    """The printer cannot be reached. ``reason`` is a short code for the web layer
    ("not_found", "permission", "busy", "refused", "timeout", "unreachable",
    "usb_backend_missing", "disconnected", "closed", "io_error"); the message names the
    device and the fix."""

    def __init__(self, reason: str, message: str, device: str = ""):
        super().__init__(message)
        self.reason = reason
        self.device = device


class _Managed:
    """Context manager and log name for python-escpos printers."""

    device_name = ""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        # python-escpos closes in __del__, at whatever moment the collector picks (even at
        # interpreter exit, with half the modules gone). Ours are closed explicitly.
        pass


class UsbPrinter(_Managed, Usb):
    """python-escpos Usb that finds its bulk endpoints and reports configuration errors
    (python-escpos logs them and carries on, and then every write fails)."""

    def open(self, raise_not_found: bool = True) -> None:
        super().open(raise_not_found)
        if not self._device:  # python-escpos checks with assert, which python -O removes
            self._device = False
            raise DeviceNotFoundError("no such USB device") from FileNotFoundError(
                errno.ENODEV, "no such USB device")

    def _configure_usb(self) -> None:
        if not self.device:
            return
        self.device.set_configuration()  # a USBError here (permission, busy) fails open()
        try:
            self.device.reset()
        except usb.core.USBError as e:
            log.warning("%s: USB reset failed (%s); carrying on", self.device_name, e)
        self.in_ep, self.out_ep = bulk_endpoints(self.device.get_active_configuration(),
                                                 self.in_ep, self.out_ep)

    def close(self) -> None:
        if not self._device:
            return
        usb.util.dispose_resources(self._device)
        self._device = False
        log.info("%s: closed", self.device_name)


def bulk_endpoints(configuration, in_ep: int, out_ep: int) -> tuple[int, int]:
    """The first bulk IN and OUT endpoint addresses of a USB configuration; the given ones
    where it has none. Printers differ (0x81/0x03 and 0x82/0x01 are both common)."""
    found_in = found_out = None
    for interface in configuration:
        for ep in interface:
            if ep.bmAttributes & 0x03 != 0x02:  # not bulk
                continue
            if ep.bEndpointAddress & 0x80:
                found_in = found_in if found_in is not None else ep.bEndpointAddress
            else:
                found_out = found_out if found_out is not None else ep.bEndpointAddress
    return (in_ep if found_in is None else found_in,
            out_ep if found_out is None else found_out)


class SerialPrinter(_Managed, Serial):
    """python-escpos Serial with a write timeout: with DSR/DTR flow control a printer that
    is off would block a write for ever."""

    def open(self, raise_not_found: bool = True) -> None:
        super().open(raise_not_found)
        if self._device:
            self._device.write_timeout = self.timeout

    def close(self) -> None:
        if not self._device:
            return
        try:
            if self._device.is_open:
                self._device.close()
        finally:
            self._device = False
            log.info("%s: closed", self.device_name)


class NetworkPrinter(_Managed, Network):
    """python-escpos Network, but a failed connect does not leak its socket, and IPv6 and
    host names work (socket.create_connection)."""

    def open(self, raise_not_found: bool = True) -> None:
        self.close()
        try:
            self._device = socket.create_connection((self.host, self.port), self.timeout)
        except OSError as e:
            self._device = None
            raise DeviceNotFoundError(f"could not connect to {self.host}:{self.port}: {e}"
                                      ) from e

    def close(self) -> None:
        if not self._device:
            return
        try:
            self._device.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already reset by the printer: closing is all that is left to do
        self._device.close()
        self._device = False
        log.info("%s: closed", self.device_name)


class FilePrinter(_Managed, File):
    """A printer device file opened for reading too: usblp is bidirectional, and status
    queries (DLE EOT) need the replies, which python-escpos File cannot read. Reads and
    writes wait with select() up to ``timeout`` seconds."""

    def __init__(self, devfile: str = "", timeout: float = 5.0, *args, **kwargs):
        super().__init__(devfile, *args, **kwargs)
        self.timeout = timeout

    def open(self, raise_not_found: bool = True) -> None:
        self.close()
        try:
            fd = os.open(self.devfile, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as e:
            self._device = None
            raise DeviceNotFoundError(f"could not open {self.devfile}: {e}") from e
        self._device = io.FileIO(fd, "r+", closefd=True)

    def fileno(self) -> int:
        if not self._device:
            raise OSError(errno.EBADF, f"{self.device_name or self.devfile} is not open")
        return self._device.fileno()

    def flush(self) -> None:
        pass  # unbuffered: every write goes straight to the device

    def _raw(self, msg: bytes) -> None:
        fd = self.fileno()
        view = memoryview(msg)
        deadline = time.monotonic() + self.timeout
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.device_name or self.devfile}: took"
                                   f" no data for {self.timeout} s: is it on, with paper?")
            _, writable, _ = select.select([], [fd], [], left)
            if not writable:
                continue
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue

    def _read(self, timeout: float | None = None, size: int = 16) -> bytes:
        """Up to ``size`` bytes the printer sent, or b"" when none came within ``timeout``
        (default: the printer's)."""
        fd = self.fileno()
        readable, _, _ = select.select([fd], [], [], self.timeout if timeout is None
                                       else max(timeout, 0))
        if not readable:
            return b""
        try:
            return os.read(fd, size)
        except BlockingIOError:
            return b""

    def close(self) -> None:
        if not self._device:
            return
        self._device.close()
        self._device = False
        log.info("%s: closed", self.device_name or self.devfile)


def describe(backend: str, *, profile: str = "default", usb_vendor: int = 0,
             usb_product: int = 0, serial_device: str = "", baudrate: int = 9600,
             host: str = "", port: int = 9100, device: str = "",
             timeout: float = 5.0) -> str:
    """A short device name for logs: "usb 0416:5011", "network 192.168.1.50:9100"."""
    if backend == "usb":
        return f"usb {usb_vendor:04x}:{usb_product:04x}"
    if backend == "serial":
        return f"serial {serial_device}"
    if backend == "network":
        return f"network {host}:{port}"
    if backend == "simulated":
        return f"simulated {host or SIMULATED_HOST}:{port}"
    if backend == "file":
        return f"file {device}"
    raise ValueError(f"unknown printer backend {backend!r}: use one of {', '.join(BACKENDS)}")


def check_profile(profile: str) -> None:
    try:
        get_profile(profile)
    except KeyError:
        raise ValueError(f"unknown printer profile {profile!r}: use a python-escpos profile"
                         " name such as 'default', 'TM-T88III' or 'POS-5890'") from None


def open_printer(backend: str, *, profile: str = "default", usb_vendor: int = 0,
                 usb_product: int = 0, serial_device: str = "", baudrate: int = 9600,
                 host: str = "", port: int = 9100, device: str = "", timeout: float = 5.0):
    """The opened python-escpos printer for ``backend``. Raises ValueError for settings that
    cannot work and :class:`PrinterUnavailable` when the device cannot be opened."""
    name = describe(backend, usb_vendor=usb_vendor, usb_product=usb_product,
                    serial_device=serial_device, host=host, port=port, device=device)
    check_profile(profile)
    if backend == "usb":
        if not (usb_vendor and usb_product):
            raise ValueError("a usb printer needs usb_vendor and usb_product (see lsusb)")
        printer = UsbPrinter(usb_vendor, usb_product, timeout=int(timeout * 1000),
                             profile=profile)
    elif backend == "serial":
        if not serial_device:
            raise ValueError("a serial printer needs serial_device (e.g. /dev/ttyUSB0)")
        printer = SerialPrinter(serial_device, baudrate=baudrate, timeout=timeout,
                                profile=profile)
    elif backend in ("network", "simulated"):
        if backend == "network" and not host:
            raise ValueError("a network printer needs host (its IP address)")
        printer = NetworkPrinter(host or SIMULATED_HOST, port, timeout=timeout,
                                 profile=profile)
    else:  # file; describe() has rejected unknown backends
        if not device:
            raise ValueError("a file printer needs device (e.g. /dev/usb/lp0)")
        printer = FilePrinter(device, timeout=timeout, profile=profile)
    printer.device_name = name
    try:
        printer.open()
    except DeviceNotFoundError as e:
        cause = e.__cause__ or e.__context__ or e
        if isinstance(cause, ValueError):  # pyserial: settings the port cannot take
            raise ValueError(f"{name}: {cause}") from e
        raise unavailable(name, backend, cause, timeout) from e
    except Exception as e:
        # Not wrapped by python-escpos: pyusb without libusb (NoBackendError), or without
        # pyusb at all (python-escpos raises RuntimeError).
        if backend == "usb" and (usb is None or isinstance(e, (usb.core.NoBackendError,
                                                                 RuntimeError))):
            raise PrinterUnavailable(
                "usb_backend_missing", f"{name}: pyusb has no USB backend: install the"
                " libusb-1.0-0 package (and pyusb)", name) from e
        raise
    log.info("%s: opened", name)
    return printer


REASON_BY_ERRNO = {
    errno.ENOENT: "not_found", errno.ENODEV: "not_found", errno.ENXIO: "not_found",
    errno.EACCES: "permission", errno.EPERM: "permission", errno.EBUSY: "busy",
    errno.ECONNREFUSED: "refused", errno.ETIMEDOUT: "timeout",
    errno.EHOSTUNREACH: "unreachable", errno.ENETUNREACH: "unreachable",
    errno.ECONNRESET: "disconnected", errno.EPIPE: "disconnected", errno.EIO: "disconnected",
}


def reason_for(exc: BaseException) -> str:
    """The reason code of a transport error (OSError, USBError, SerialException)."""
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout"
    if isinstance(exc, socket.gaierror):
        return "not_found"
    if isinstance(exc, AssertionError):  # python-escpos Usb: find() found nothing
        return "not_found"
    if usb is not None and isinstance(exc, usb.core.USBTimeoutError):
        return "timeout"
    return REASON_BY_ERRNO.get(getattr(exc, "errno", None), "io_error")


FIXES = {
    ("usb", "not_found"): "USB printer not found: check its cable and power, and the IDs"
                          " with lsusb",
    ("usb", "permission"): "no permission for the USB printer: install the udev rule for"
                           " it (or add the tillbox user to the lp group)",
    ("usb", "busy"): "USB printer is held by another program or driver (CUPS, usblp):"
                     " stop it or use the file backend",
    ("serial", "not_found"): "serial port not found: check the cable or USB adapter and"
                             " printer.serial_device",
    ("serial", "permission"): "no permission for the serial port: add the tillbox user to"
                              " the dialout group",
    ("serial", "busy"): "serial port is in use by another program",
    ("file", "not_found"): "printer device not found: is the printer on and plugged in?",
    ("file", "permission"): "no permission for the printer device: add the tillbox user to"
                            " the lp group",
    ("file", "busy"): "printer device is in use (CUPS?)",
    ("network", "refused"): "refused the connection: is it on, and is the port right"
                            " (9100 for most printers)?",
    ("network", "timeout"): "did not answer in time: check its cable or Wi-Fi and its IP"
                            " address",
    ("network", "unreachable"): "is unreachable: check the network and its IP address",
    ("network", "not_found"): "host name is not known: use the printer's IP address",
    ("simulated", "refused"): "refused the connection: is the simulated printer running?",
    ("simulated", "timeout"): "did not answer in time: is the simulated printer running?",
}


def unavailable(name: str, backend: str, cause: BaseException,
                timeout: float = 0) -> PrinterUnavailable:
    reason = reason_for(cause)
    fix = FIXES.get((backend, reason))
    if fix is None and backend == "simulated":
        fix = FIXES.get(("network", reason))
    if fix is None:
        fix = f"could not be opened ({cause})"
    if reason == "timeout" and timeout:
        fix += f" (waited {timeout:g} s)"
    log.warning("%s: %s (%s)", name, reason, cause)
    return PrinterUnavailable(reason, f"{name}: {fix}", name)

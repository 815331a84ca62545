"""The gpiozero pin factory for ``gpio.backend``: "native" on the Pi, "mock" for tests and the
simulated box.

The factory is always passed to each device (``pin_factory=``); gpiozero's global default is
never set, and a missing GPIO library is an error, never a silent switch to mock pins.
"""

from __future__ import annotations

import importlib
import logging

from gpiozero.exc import BadPinFactory
from gpiozero.pins.mock import MockFactory, MockPWMPin

log = logging.getLogger(__name__)

# Real factories in order of preference: lgpio works on every Pi including the Pi 5 (gpiochip
# character device); RPi.GPIO only on older models. gpiozero's pure-Python "native" factory
# and pigpio (needs its daemon) are left out on purpose.
_NATIVE_FACTORIES = (
    ("lgpio", "gpiozero.pins.lgpio", "LGPIOFactory"),
    ("RPi.GPIO", "gpiozero.pins.rpigpio", "RPiGPIOFactory"),
)

INSTALL_HINT = ("install lgpio: `sudo apt install python3-lgpio` (or `pip install lgpio` in "
                "the venv); RPi.GPIO also works on a Pi 4 or older")


def pin_factory(backend: str):
    """A gpiozero pin factory: "mock" (pins that record their state history, PWM-capable)
    or "native" (lgpio, else RPi.GPIO). Raises ValueError for any other name and RuntimeError
    when no real GPIO library can be loaded."""
    if backend == "mock":
        # Explicit pin class: ignore GPIOZERO_MOCK_PIN_CLASS so tests behave the same anywhere.
        return MockFactory(pin_class=MockPWMPin)
    if backend == "native":
        return _native_factory()
    raise ValueError(f"unknown GPIO backend {backend!r}: use 'native' on the Raspberry Pi "
                     "or 'mock' for tests and the simulated box")


def _native_factory():
    missing: list[str] = []
    failed: list[str] = []
    for library, module_name, class_name in _NATIVE_FACTORIES:
        try:
            module = importlib.import_module(module_name)
            factory = getattr(module, class_name)()
        except (ImportError, BadPinFactory) as exc:   # BadPinFactory is an ImportError too
            missing.append(f"{library} ({exc})")
            continue
        except Exception as exc:   # library present but the GPIO chip would not open
            failed.append(f"{library}: {exc}")
            continue
        log.info("GPIO through %s", library)
        return factory
    if failed:
        raise RuntimeError("GPIO library could not open the GPIO chip (" + "; ".join(failed)
                           + "): check this is a Raspberry Pi and the tillbox user is in the "
                           "gpio group")
    raise RuntimeError("no GPIO library found (" + "; ".join(missing) + "): " + INSTALL_HINT)

"""Has my configuration changed on disk? For daemons that pick up settings-page changes
without a restart (issue 11; docs/settings.md).

A :class:`ConfigWatch` remembers the stat (inode, size, mtime) of every file that makes up a
daemon's configuration: the main file, the setup overlay, the secrets file, and whatever else
the daemon names (the page-set broker password, uploaded certificates). ``changed()`` is one
``stat`` per file, at most once per ``interval`` seconds, so it is cheap enough to call on
every turn of a main loop. Every writer here replaces files whole by rename, so a new inode or
mtime means a new file.

A change only says "look again": the daemon reloads (``config_changes.reload``) and compares
the values it uses, so touching a file without changing what it says costs a reload, nothing
more.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable, Iterable

log = logging.getLogger(__name__)


def config_files(config) -> list[Path]:
    """The files every daemon's configuration is read from."""
    files = [config.overlay_path, Path(config.paths.secrets)]
    if config.source is not None:
        files.insert(0, Path(config.source))
    return files


def _stat(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:   # missing, or not readable: "absent" is a state too
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class ConfigWatch:
    """``changed()`` is True once after any watched file appears, disappears or is replaced.

    ``extra(config)`` names more files to watch; it is asked again after each ``rebase``
    (e.g. a new certificate path)."""

    def __init__(self, config, extra: Callable[[object], Iterable[Path]] | None = None, *,
                 interval: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self._extra = extra
        self._interval = interval
        self._clock = clock
        self._next = 0.0
        self.rebase(config)

    def rebase(self, config) -> None:
        """Watch the files of ``config`` (after a reload) from their state now."""
        files = config_files(config) + [Path(p) for p in (self._extra(config) if self._extra
                                                          else ()) if p]
        self._files = list(dict.fromkeys(files))
        self._seen = self._snapshot()

    def _snapshot(self) -> tuple:
        return tuple(_stat(p) for p in self._files)

    def changed(self) -> bool:
        now = self._clock()
        if now < self._next:
            return False
        self._next = now + self._interval
        snap = self._snapshot()
        if snap == self._seen:
            return False
        self._seen = snap
        return True


class SectionWatch:
    """A device daemon's view: :meth:`poll` gives the new configuration when one of the
    daemon's ``sections`` changed (printerd: printer, drawer, ...), else None.

    A configuration that no longer loads (someone edited the file by hand) is logged and the
    daemon keeps running on what it has."""

    def __init__(self, cfg, sections: tuple[str, ...], *, environ=None, interval: float = 1.0):
        self.cfg = cfg
        self.sections = sections
        self.environ = environ   # None: the process environment
        self._files = ConfigWatch(cfg, interval=interval)

    def _view(self, cfg) -> dict:
        return {s: getattr(cfg, s).as_dict() for s in self.sections}

    def poll(self, force: bool = False):
        if not self._files.changed() and not force:
            return None
        from . import config as config_mod
        try:
            new = config_mod.load(self.cfg.source, self.environ, log_warnings=False)
        except config_mod.ConfigError as exc:
            log.error("configuration changed but cannot be used: %s; keeping the old one", exc)
            return None
        self._files.rebase(new)
        before, after = self._view(self.cfg), self._view(new)
        self.cfg = new
        if before == after:
            return None
        changed = sorted(f"{s}.{k}" for s in self.sections
                         for k in set(before[s]) | set(after[s])
                         if before[s].get(k) != after[s].get(k))
        log.info("configuration changed (%s): applying it without a restart", ", ".join(changed))
        return new

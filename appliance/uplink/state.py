"""uplinkd's durable state in <data>/uplink/: the cursor (head office's last ack), the
session counter, and the ids of commands already handled. Each is written whole and fsynced
before anything that depends on it happens."""

from __future__ import annotations

import time
from pathlib import Path

from appliance.durable import read_json, write_json

REMEMBER_COMMANDS = 1000


class UplinkState:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        self._cursor = self.dir / "cursor.json"
        self._session = self.dir / "session.json"
        self._commands = self.dir / "commands.json"
        self.acked_seq: int = read_json(self._cursor, {"acked_seq": 0})["acked_seq"]
        self.session: int = read_json(self._session, {"session": 0})["session"]
        self.commands: dict[str, dict] = read_json(self._commands, {})

    def set_acked(self, seq: int) -> None:
        write_json(self._cursor, {"acked_seq": seq, "at": time.time()})
        self.acked_seq = seq

    def next_session(self) -> int:
        """A new connection's number: one more than any before, on disk first."""
        write_json(self._session, {"session": self.session + 1})
        self.session += 1
        return self.session

    def seen(self, command_id: str) -> bool:
        return command_id in self.commands

    def outcome(self, command_id: str) -> tuple[str, str]:
        """How a command seen before ended: (status, detail)."""
        entry = self.commands.get(command_id)
        if isinstance(entry, dict):
            return entry.get("status", "accepted"), entry.get("detail", "")
        return "accepted", ""

    def remember(self, command_id: str, status: str = "accepted", detail: str = "") -> None:
        self.commands[command_id] = {"at": time.time(), "status": status, "detail": detail}
        if len(self.commands) > REMEMBER_COMMANDS:
            def at(k):
                v = self.commands[k]
                return v["at"] if isinstance(v, dict) else v
            for old in sorted(self.commands, key=at)[:-REMEMBER_COMMANDS]:
                del self.commands[old]
        write_json(self._commands, self.commands)

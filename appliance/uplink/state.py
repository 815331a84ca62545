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
        self.commands: dict[str, float] = read_json(self._commands, {})

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

    def remember(self, command_id: str) -> None:
        self.commands[command_id] = time.time()
        if len(self.commands) > REMEMBER_COMMANDS:
            for old in sorted(self.commands, key=self.commands.get)[:-REMEMBER_COMMANDS]:
                del self.commands[old]
        write_json(self._commands, self.commands)

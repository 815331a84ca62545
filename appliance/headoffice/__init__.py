"""Head office: the ingest that stores every box's journal once, and reports over it.

Runs at head office, not on the box (``tillbox headoffice run|report``). The MQTT contract
it implements is ARCHITECTURE section 6 (:mod:`appliance.uplink.contract`).
"""

from .store import HeadOfficeStore, StoreError, open_store

__all__ = ["HeadOfficeStore", "StoreError", "open_store"]

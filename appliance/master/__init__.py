"""Master data: the catalog, staff and shop settings, each in its own JSON file.

    with MasterData("/var/lib/tillbox/master") as master:
        hit = master.catalog.lookup_barcode("6901234567892")
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from tinydb import TinyDB

from .catalog import Catalog, Category, Product, Variant
from .csvio import CatalogImportError, CsvRowError, ImportResult, export_catalog, import_catalog
from .ean import (ean13_check_digit, is_valid_ean8, is_valid_ean13, make_internal_ean13,
                  validate_barcode)
from .settings import SETTINGS_SCHEMA, TENDER_METHODS, Settings
from .staff import ROLES, Staff, StaffDirectory, check_pin, hash_pin, role_at_least
from .storage import AtomicJSONStorage, CorruptStorageError
from .suppliers import Contract, Supplier, SupplierDirectory

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.json"
STAFF_FILE = "staff.json"
SETTINGS_FILE = "settings.json"
SUPPLIERS_FILE = "suppliers.json"


class MasterData:
    """The master data directory. One lock guards writes to all its files."""

    def __init__(self, directory):
        self.path = Path(directory)
        if not self.path.exists():
            self.path.mkdir(parents=True, mode=0o750)
            os.chmod(self.path, 0o750)  # mkdir's mode is filtered by the umask
        self.lock = threading.RLock()
        self._dbs: list[TinyDB] = []
        try:
            self.catalog = Catalog(self._open(CATALOG_FILE), self.lock)
            self.staff = StaffDirectory(self._open(STAFF_FILE), self.lock)
            self.settings = Settings(self._open(SETTINGS_FILE), self.lock)
            self.suppliers = SupplierDirectory(self._open(SUPPLIERS_FILE), self.lock)
        except BaseException:
            self.close()
            raise
        log.info("master data opened at %s", self.path)

    def _open(self, name: str) -> TinyDB:
        db = TinyDB(self.path / name, storage=AtomicJSONStorage)
        self._dbs.append(db)
        return db

    def close(self) -> None:
        while self._dbs:
            self._dbs.pop().close()

    def __enter__(self) -> "MasterData":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = [
    "AtomicJSONStorage", "Catalog", "CatalogImportError", "Category", "Contract",
    "CorruptStorageError",
    "CsvRowError", "ImportResult", "MasterData", "Product", "ROLES", "SETTINGS_SCHEMA",
    "Settings", "Staff", "StaffDirectory", "Supplier", "SupplierDirectory", "TENDER_METHODS",
    "Variant", "check_pin",
    "ean13_check_digit", "export_catalog", "hash_pin", "import_catalog", "is_valid_ean13",
    "is_valid_ean8", "make_internal_ean13", "role_at_least", "validate_barcode",
]

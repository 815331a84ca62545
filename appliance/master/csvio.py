"""Catalog import and export as CSV, the format shops keep their goods lists in.

One row per sellable item; rows with the same ``sku`` are one product, and a row's ``spec``
(``颜色=红;尺码=M``) makes it a variant of that product. An import is all-or-nothing: every
row is checked first and every problem is reported with the row number a spreadsheet shows,
so the owner can fix the file in one go; only a clean file changes the catalog, in one write.

Merging keeps what the file cannot express: product and variant ids (orders refer to them),
tax rates, and product-level barcodes of products with variants. Variants
missing from the file are taken off sale but kept on record.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from dataclasses import asdict, dataclass, field
from typing import IO, Union

from ..errors import ValidationError
from ..money import format_amount, parse_amount
from .catalog import (MAX_SKU, Category, Product, Variant, new_id, normalize_category,
                      normalize_product, sellable_barcodes, spec_key, spec_text)
from .ean import validate_barcode

log = logging.getLogger(__name__)

COLUMNS = ("sku", "name", "name_en", "category", "unit", "price", "cost", "stock_tracked",
           "spec", "variant_sku", "variant_price", "variant_cost", "barcodes")
REQUIRED_COLUMNS = ("sku", "name", "unit", "price")
#: Fields that belong to the product, so every row of one sku must repeat them unchanged.
PRODUCT_COLUMNS = ("name", "name_en", "category", "unit", "price", "cost", "stock_tracked")
MAX_ERRORS_SHOWN = 20

_TRUE = {"1", "true", "yes", "y", "是"}
_FALSE = {"0", "false", "no", "n", "否"}
# What Excel makes of a 13-digit barcode in a cell formatted as a number.
_EXCEL_NUMBER_RE = re.compile(r"^\d+(\.\d+)?e\+\d+$", re.IGNORECASE)
_VARIANT_FIELD_RE = re.compile(r"^variants\[(\d+)\]\.(\w+)")
_FIELD_COLUMNS = {"name": "name", "name_en": "name_en", "unit": "unit", "sku": "sku",
                  "price": "price", "cost": "cost", "barcodes": "barcodes",
                  "category_id": "category", "variants": "spec"}
_VARIANT_COLUMNS = {"spec": "spec", "sku": "variant_sku", "price": "variant_price",
                    "cost": "variant_cost",
                    "barcodes": "barcodes"}

Source = Union[str, "os.PathLike[str]", IO]


@dataclass(frozen=True)
class CsvRowError:
    row_number: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row_number}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class CatalogImportError(ValidationError):
    """The file has problems; ``errors`` lists all of them. Nothing was imported."""

    def __init__(self, errors: list[CsvRowError]):
        self.errors = list(errors)
        shown = "\n".join(str(e) for e in self.errors[:MAX_ERRORS_SHOWN])
        more = len(self.errors) - MAX_ERRORS_SHOWN
        tail = f"\n... and {more} more" if more > 0 else ""
        super().__init__(f"the catalog file has {len(self.errors)} problem(s); nothing was "
                         f"imported:\n{shown}{tail}")

    def to_json(self) -> dict:
        body = super().to_json()
        body["errors"] = [asdict(e) for e in self.errors]
        return body


@dataclass(frozen=True)
class ImportResult:
    products: int            # products in the file (created or updated)
    variants: int            # rows that are variants
    categories_created: int
    products_deactivated: int = 0   # with replace=True: active products not in the file


@dataclass
class _Row:
    number: int
    raw: dict[str, str]
    sku: str = ""
    name: str = ""
    name_en: str = ""
    category: str = ""
    unit: str = ""
    price: int = 0
    cost: int = 0
    stock_tracked: bool = True
    spec: dict[str, str] | None = None
    variant_sku: str = ""
    variant_price: int | None = None
    variant_cost: int | None = None
    barcodes: list[str] = field(default_factory=list)


class _Errors(list):
    def add(self, row: int, column: str | None, message: str) -> None:
        self.append(CsvRowError(row, column, message))


# --- reading -------------------------------------------------------------------------------

def _read_text(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            raw = f.read()
    else:
        raw = source.read()
    if isinstance(raw, str):
        return raw[1:] if raw.startswith("\ufeff") else raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise CatalogImportError([CsvRowError(
            line, None, "the file is not UTF-8 text (Excel: save it as \"CSV UTF-8\"; "
                        "plain \"CSV\" on a Chinese Windows is GBK)")]) from None


def _header(cells: list[str]) -> list[str]:
    names = [c.strip().lower() for c in cells]
    problems = []
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}; the columns are "
                        f"{', '.join(COLUMNS)}")
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        problems.append(f"column(s) {', '.join(twice)} appear more than once")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}")
    if problems:
        raise CatalogImportError([CsvRowError(1, None, p) for p in problems])
    return names


def _amount(row: _Row, column: str, errors: _Errors, *, required: bool) -> int | None:
    text = row.raw.get(column, "")
    if not text:
        if required:
            errors.add(row.number, column, "is empty")
        return None
    try:
        return parse_amount(text, field=column)
    except ValidationError as exc:
        message = exc.message
        if message.startswith(column + " "):
            message = message[len(column) + 1:]
        errors.add(row.number, column, message)
        return None


def _flag(row: _Row, errors: _Errors) -> bool:
    text = row.raw.get("stock_tracked", "").lower()
    if not text or text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors.add(row.number, "stock_tracked", f'"{text}" is not one of 1/0, true/false, '
                                            f"yes/no, 是/否")
    return True


def _spec(row: _Row, errors: _Errors) -> dict[str, str] | None:
    text = row.raw.get("spec", "").replace("；", ";").replace("＝", "=")
    if not text:
        return None
    spec: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, eq, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            errors.add(row.number, "spec", f'"{part}" should be name=value, like 颜色=红')
            return None
        if name in spec:
            errors.add(row.number, "spec", f"names {name} twice")
            return None
        spec[name] = value
    if not spec:
        errors.add(row.number, "spec", "has no name=value part")
        return None
    return spec


def _barcodes(row: _Row, errors: _Errors) -> list[str]:
    codes = []
    for code in filter(None, (c.strip() for c in row.raw.get("barcodes", "").split("|"))):
        if _EXCEL_NUMBER_RE.match(code):
            errors.add(row.number, "barcodes",
                       f'"{code}" looks like a barcode Excel turned into a number; format '
                       f"the column as text and enter the codes again")
            continue
        try:
            codes.append(validate_barcode(code, field="barcode"))
        except ValidationError as exc:
            errors.add(row.number, "barcodes", exc.message)
    return codes


def _parse_row(number: int, raw: dict[str, str], errors: _Errors) -> _Row:
    row = _Row(number=number, raw=raw)
    for column in ("sku", "name", "unit"):
        if not raw.get(column):
            errors.add(number, column, "is empty")
    row.sku, row.name, row.unit = raw.get("sku", ""), raw.get("name", ""), raw.get("unit", "")
    if len(row.sku) > MAX_SKU:
        errors.add(number, "sku", f"is longer than {MAX_SKU} characters")
    row.name_en = raw.get("name_en", "")
    row.category = raw.get("category", "")
    row.price = _amount(row, "price", errors, required=True) or 0
    row.cost = _amount(row, "cost", errors, required=False) or 0
    row.stock_tracked = _flag(row, errors)
    row.spec = _spec(row, errors)
    row.variant_sku = raw.get("variant_sku", "")
    row.variant_price = _amount(row, "variant_price", errors, required=False)
    row.variant_cost = _amount(row, "variant_cost", errors, required=False)
    if not raw.get("spec"):
        for column in ("variant_sku", "variant_price", "variant_cost"):
            if raw.get(column):
                errors.add(number, column, "is only for a variant row (one with a spec)")
    row.barcodes = _barcodes(row, errors)
    return row


def _parse(text: str, errors: _Errors) -> list[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_Row] = []
    try:
        header = next(reader, None)
        if header is None:
            raise CatalogImportError([CsvRowError(1, None, "the file is empty; the first row "
                                                           "must name the columns")])
        names = _header(header)
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue  # spreadsheets leave blank rows behind
            if any(c.strip() for c in cells[len(names):]):
                errors.add(number, None, f"has {len(cells)} cells but the header names only "
                                         f"{len(names)} columns")
                continue
            raw = {name: (cells[i].strip() if i < len(cells) else "")
                   for i, name in enumerate(names) if name}
            rows.append(_parse_row(number, raw, errors))
    except csv.Error as exc:
        errors.add(reader.line_num, None, f"cannot be read as CSV: {exc}")
    return rows


def _group(rows: list[_Row], errors: _Errors) -> dict[str, list[_Row]]:
    """Rows by sku, checking what must agree between them and what must not repeat."""
    bad = {(e.row_number, e.column) for e in errors}  # no follow-on errors for these cells
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        if row.sku:
            groups.setdefault(row.sku, []).append(row)
    seen_codes: dict[str, int] = {}
    for sku, group in groups.items():
        first = group[0]
        first_lacks_spec = False
        seen_specs: dict[tuple, int] = {}
        for row in group:
            for column in PRODUCT_COLUMNS:
                if (row.number, column) in bad or (first.number, column) in bad:
                    continue
                if _product_value(row, column) != _product_value(first, column):
                    errors.add(row.number, column,
                               f'"{row.raw.get(column, "")}" differs from row {first.number} '
                               f'("{first.raw.get(column, "")}"); all rows of sku {sku} must '
                               f"agree")
            if row is not first and (row.number, "spec") not in bad:
                needs_spec = _NEEDS_SPEC.format(sku=sku, first=first.number)
                if row.spec is None:
                    errors.add(row.number, "spec", needs_spec)
                elif first.spec is None and not first_lacks_spec:
                    first_lacks_spec = True
                    errors.add(first.number, "spec", needs_spec)
            if row.spec is not None:
                key = spec_key(row.spec)
                if key in seen_specs:
                    errors.add(row.number, "spec", f"{spec_text(row.spec)} already appears in "
                                                   f"row {seen_specs[key]} for sku {sku}")
                seen_specs.setdefault(key, row.number)
            for code in row.barcodes:
                if code in seen_codes:
                    errors.add(row.number, "barcodes",
                               f"barcode {code} already appears in row {seen_codes[code]}")
                seen_codes.setdefault(code, row.number)
    return groups


_NEEDS_SPEC = ("sku {sku} is on more than one row (first row {first}), so it has variants "
               "and every one of its rows needs a spec")


def _product_value(row: _Row, column: str):
    value = getattr(row, column)
    return value.casefold() if column == "category" else value


# --- merging -------------------------------------------------------------------------------

def _merge(old: Product | None, rows: list[_Row], category_id: str | None) -> Product:
    first = rows[0]
    p = old if old is not None else Product(
        id="", sku=first.sku, name="", category_id=None, unit="", price=0, cost=0,
        barcodes=[])
    p.name, p.name_en, p.unit = first.name, first.name_en, first.unit
    p.category_id, p.price, p.cost = category_id, first.price, first.cost
    p.stock_tracked, p.active = first.stock_tracked, True
    if first.spec is None:
        p.barcodes = list(first.barcodes)
        for v in p.variants:
            v.active = False
        return p
    # The file has no place for product-level barcodes of a product with variants: keep them.
    by_spec = {spec_key(v.spec): v for v in p.variants}
    variants = []
    for row in rows:
        v = by_spec.pop(spec_key(row.spec), None) or Variant(id="", spec={})
        v.spec, v.sku, v.price = dict(row.spec), row.variant_sku, row.variant_price
        if "variant_cost" in row.raw:  # an older file without the column keeps the costs
            v.cost = row.variant_cost
        v.barcodes, v.active = list(row.barcodes), True
        variants.append(v)
    for v in by_spec.values():  # not in the file: off sale, kept for old orders
        v.active = False
        variants.append(v)
    p.variants = variants
    return p


def _error_place(exc: ValidationError, rows: list[_Row]) -> tuple[int, str | None]:
    """Which row and column a product-level validation error belongs to."""
    f = exc.field or ""
    m = _VARIANT_FIELD_RE.match(f)
    if m:
        index = int(m.group(1))
        row = rows[index] if index < len(rows) else rows[0]
        return row.number, _VARIANT_COLUMNS.get(m.group(2))
    return rows[0].number, _FIELD_COLUMNS.get(f)


def import_catalog(master, path_or_file: Source, *, replace: bool = False) -> ImportResult:
    """Import a catalog CSV into ``master.catalog``; all-or-nothing (CatalogImportError).

    Products are matched to existing ones by sku. With ``replace=True`` products that are
    not in the file are deactivated.
    """
    errors = _Errors()
    rows = _parse(_read_text(path_or_file), errors)
    groups = _group(rows, errors)
    catalog = master.catalog

    with catalog.lock:
        categories = catalog.list_categories()
        by_name = {c.name.casefold(): c for c in categories}
        created: list[Category] = []
        for group in groups.values():
            name = group[0].category
            if name and name.casefold() not in by_name:
                try:
                    cat = normalize_category(Category(id=new_id("c"), name=name))
                except ValidationError as exc:
                    errors.add(group[0].number, "category", exc.message)
                    continue
                by_name[name.casefold()] = cat
                created.append(cat)
        category_ids = {c.id for c in by_name.values()}

        existing = catalog.list_products(include_inactive=True)
        file_codes = {code: row.number for group in groups.values() for row in group
                      for code in row.barcodes}
        untouched: list[Product] = []
        kept_codes: dict[str, Product] = {}
        deactivated = 0
        for p in existing:
            if p.sku in groups:
                continue
            if replace and p.active:
                p.active = False
                deactivated += 1
            for code, _vid in sellable_barcodes(p):
                kept_codes[code] = p
            untouched.append(p)

        by_sku = {p.sku: p for p in existing}
        bad_rows = {e.row_number for e in errors}
        merged: list[Product] = []
        for sku, group in groups.items():
            if any(row.number in bad_rows for row in group):
                continue  # already reported; merging it would only repeat the problem
            cat = by_name.get(group[0].category.casefold()) if group[0].category else None
            try:
                p = normalize_product(
                    _merge(by_sku.get(sku), group, cat.id if cat else None), category_ids)
            except ValidationError as exc:
                errors.add(*_error_place(exc, group), exc.message)
                continue
            for code, _vid in sellable_barcodes(p):
                other = kept_codes.get(code)
                where = file_codes.get(code)
                if other is not None:
                    errors.add(where or group[0].number, "barcodes",
                               f'barcode {code} is already used by product "{other.name}" '
                               f"(sku {other.sku}), which is not in this file")
                elif where is not None and code not in {c for r in group for c in r.barcodes}:
                    # A kept product-level barcode of this product, reused elsewhere in the file.
                    errors.add(where, "barcodes", f"barcode {code} is already used by sku {sku}")
            merged.append(p)

        if errors:
            errors.sort(key=lambda e: e.row_number)
            log.info("catalog import refused: %d problem(s)", len(errors))
            raise CatalogImportError(errors)
        catalog.replace_catalog(categories + created, untouched + merged)

    result = ImportResult(products=len(merged),
                          variants=sum(1 for g in groups.values() for r in g if r.spec),
                          categories_created=len(created), products_deactivated=deactivated)
    log.info("catalog imported: %s", result)
    return result


# --- export --------------------------------------------------------------------------------

def _export_rows(master) -> list[list[str]]:
    catalog = master.catalog
    cat_names = {c.id: c.name for c in catalog.list_categories()}
    rows = []
    for p in catalog.list_products():
        base = [p.sku, p.name, p.name_en, cat_names.get(p.category_id, ""), p.unit,
                format_amount(p.price), format_amount(p.cost), "1" if p.stock_tracked else "0"]
        variants = p.active_variants()
        if not variants:
            rows.append(base + ["", "", "", "", "|".join(p.barcodes)])
        for v in variants:
            price = format_amount(v.price) if v.price is not None else ""
            cost = format_amount(v.cost) if v.cost is not None else ""
            rows.append(base + [v.spec_text, v.sku, price, cost, "|".join(v.barcodes)])
    return rows


def export_catalog(master, path_or_file: Source) -> int:
    """Write the active catalog as CSV; returns the number of item rows.

    Paths and binary files get UTF-8 with a BOM (so Excel shows the Chinese correctly);
    a text file is written in its own encoding.
    """
    rows = _export_rows(master)
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "w", encoding="utf-8-sig", newline="") as f:
            _write(f, rows)
    elif isinstance(path_or_file, (io.RawIOBase, io.BufferedIOBase)):
        wrapper = io.TextIOWrapper(path_or_file, encoding="utf-8-sig", newline="")
        _write(wrapper, rows)
        wrapper.flush()
        wrapper.detach()  # leave the caller's file open
    else:
        _write(path_or_file, rows)
    log.info("catalog exported: %d rows", len(rows))
    return len(rows)


def _write(f, rows: list[list[str]]) -> None:
    writer = csv.writer(f, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)

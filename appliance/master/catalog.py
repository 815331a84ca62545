"""The product catalog: products, their variants (颜色/尺码 ...), categories, barcodes.

Kept in TinyDB (``products`` and ``categories`` tables of ``catalog.json``) but served from
memory: the catalog is loaded once into :class:`Product` objects with a barcode index and a
search text per product, and that snapshot is renewed after every write. A scan at the till
is then a dict lookup, not a walk over the JSON.

Readers never lock: they take the current snapshot (one attribute read) and hand out copies,
so a caller that edits a returned product cannot change the catalog behind its back. Writers
hold the shared lock, validate, write to disk, and only then swap in a new snapshot - a
failed write leaves memory as it was.

Barcodes are unique among what can be sold (active products and their active variants):
a deactivated product keeps its barcodes on record but frees them for reuse, and saving it
as active again is refused if one was reused meanwhile.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
import uuid
from dataclasses import dataclass, field, replace
from typing import Container, Iterable, Iterator, Mapping

from tinydb import TinyDB

from ..errors import NotFound, ValidationError
from ..money import MAX_AMOUNT
from ..validate import text
from .ean import validate_barcode
from .storage import CorruptStorageError
from ..i18n import _

log = logging.getLogger(__name__)

PRODUCTS = "products"
CATEGORIES = "categories"

MAX_NAME = 80
MAX_CATEGORY_NAME = 40
MAX_UNIT = 16
MAX_SKU = 64
MAX_SPEC_TEXT = 40
MAX_TAX_RATE = 10_000  # basis points: 100%
MAX_DESCRIPTION = 400

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Characters that separate spec parts in catalog CSV files (also in full-width form, which
#: a Chinese IME produces), so they cannot appear inside a spec name or value.
SPEC_SEPARATORS = ("=", ";", "＝", "；", "|")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def spec_text(spec: Mapping[str, str]) -> str:
    """``{"颜色": "红", "尺码": "M"}`` -> ``"颜色=红;尺码=M"`` (the CSV form)."""
    return ";".join(f"{k}={v}" for k, v in spec.items())


def spec_key(spec: Mapping[str, str]) -> tuple:
    """Identity of a spec regardless of the order its parts were given in."""
    return tuple(sorted(spec.items()))


@dataclass
class Variant:
    id: str
    spec: dict[str, str]
    sku: str = ""
    price: int | None = None
    cost: int | None = None
    barcodes: list[str] = field(default_factory=list)
    active: bool = True

    def to_doc(self) -> dict:
        return {"id": self.id, "spec": dict(self.spec), "sku": self.sku, "price": self.price,
                "cost": self.cost, "barcodes": list(self.barcodes), "active": self.active}

    @classmethod
    def from_doc(cls, doc: Mapping) -> "Variant":
        return cls(id=doc["id"], spec=dict(doc["spec"]), sku=doc.get("sku", ""),
                   price=doc.get("price"), cost=doc.get("cost"),
                   barcodes=list(doc.get("barcodes", ())), active=doc.get("active", True))

    def copy(self) -> "Variant":
        # Spelled out: dataclasses.replace is several times slower, and every read copies.
        return Variant(self.id, dict(self.spec), self.sku, self.price, self.cost,
                       list(self.barcodes), self.active)

    @property
    def spec_text(self) -> str:
        return spec_text(self.spec)


@dataclass
class Product:
    id: str
    sku: str
    name: str
    category_id: str | None
    unit: str
    price: int
    cost: int
    barcodes: list[str] = field(default_factory=list)
    stock_tracked: bool = True
    active: bool = True
    name_en: str = ""
    tax_rate: int = 0  # basis points: 1300 = 13%
    variants: list[Variant] = field(default_factory=list)
    description: str = ""
    #: one serial number per unit sold, captured on the order (docs/aftersales.md)
    serialised: bool = False

    def to_doc(self) -> dict:
        return {"id": self.id, "sku": self.sku, "name": self.name,
                "description": self.description,
                "category_id": self.category_id, "unit": self.unit, "price": self.price,
                "cost": self.cost, "barcodes": list(self.barcodes),
                "stock_tracked": self.stock_tracked, "active": self.active,
                "name_en": self.name_en, "tax_rate": self.tax_rate,
                "variants": [v.to_doc() for v in self.variants],
                "serialised": self.serialised}

    @classmethod
    def from_doc(cls, doc: Mapping) -> "Product":
        return cls(id=doc["id"], sku=doc["sku"], name=doc["name"],
                   category_id=doc.get("category_id"), unit=doc["unit"], price=doc["price"],
                   cost=doc["cost"], barcodes=list(doc.get("barcodes", ())),
                   stock_tracked=doc.get("stock_tracked", True),
                   active=doc.get("active", True), name_en=doc.get("name_en", ""),
                   tax_rate=doc.get("tax_rate", 0),
                   variants=[Variant.from_doc(v) for v in doc.get("variants", ())],
                   description=doc.get("description", ""),
                   serialised=doc.get("serialised", False))

    def copy(self) -> "Product":
        return Product(self.id, self.sku, self.name, self.category_id, self.unit, self.price,
                       self.cost, list(self.barcodes), self.stock_tracked, self.active,
                       self.name_en, self.tax_rate, [v.copy() for v in self.variants],
                       self.description, self.serialised)

    def variant(self, variant_id: str) -> Variant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise NotFound(_("product \"{name}\" has no variant {variant_id}",
                         name=self.name, variant_id=variant_id),
                       field="variant_id")

    def active_variants(self) -> list[Variant]:
        return [v for v in self.variants if v.active]

    def price_of(self, variant: Variant | None = None) -> int:
        """Unit price of the product, or of one of its variants (its own price if set)."""
        if variant is not None and variant.price is not None:
            return variant.price
        return self.price

    def cost_of(self, variant: Variant | None = None) -> int:
        if variant is not None and variant.cost is not None:
            return variant.cost
        return self.cost


@dataclass
class Category:
    id: str
    name: str
    name_en: str = ""
    sort: int = 0

    def to_doc(self) -> dict:
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "sort": self.sort}

    @classmethod
    def from_doc(cls, doc: Mapping) -> "Category":
        return cls(id=doc["id"], name=doc["name"], name_en=doc.get("name_en", ""),
                   sort=doc.get("sort", 0))

    def copy(self) -> "Category":
        return Category(self.id, self.name, self.name_en, self.sort)


# --- validation -------------------------------------------------------------------------

def _text(value, field_name: str, max_len: int, *, required: bool) -> str:
    if value is None:  # None is not text here (the shared check would take it as empty)
        raise ValidationError(_("{field_name} must be text",
                                field_name=field_name), field=field_name)
    return text(value, field_name, max_len, required=required)


def _whole(value, field_name: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("{field_name} must be a whole number, not {name} {value}",
                                field_name=field_name, name=type(value).__name__, value=repr(value)),
                                field=field_name)
    if not low <= value <= high:
        raise ValidationError(_("{field_name} must be between {low} and {high}",
                                field_name=field_name, low=low, high=high),
                              field=field_name)
    return value


def _amount(value, field_name: str) -> int:
    """An int fen amount; floats and decimal strings are refused with a hint."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float):
            hint = f"the float {value!r} (money is never a float)"
        elif isinstance(value, str):
            hint = f'the text "{value}" (convert it with money.parse_amount)'
        else:
            hint = type(value).__name__
        raise ValidationError(_("{field_name} must be an int number of fen, not {hint}",
                                field_name=field_name, hint=hint),
                              field=field_name)
    if value < 0:
        raise ValidationError(_("{field_name} must not be negative",
                                field_name=field_name), field=field_name)
    if value > MAX_AMOUNT:
        raise ValidationError(_("{field_name} is larger than the most the box accepts",
                                field_name=field_name),
                              field=field_name)
    return value


def _flag(value, field_name: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("{field_name} must be true or false",
                                field_name=field_name), field=field_name)
    return value


def _check_id(value, field_name: str, prefix: str) -> str:
    if value in ("", None):
        return new_id(prefix)
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ValidationError(
            _("{field_name} {value} is not a valid id (letters, digits, . _ -; at most 64)",
              field_name=field_name, value=repr(value)),
            field=field_name)
    return value


def _barcode_list(value, field_name: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise ValidationError(_("{field_name} must be a list of barcodes",
                                field_name=field_name), field=field_name)
    return [validate_barcode(code, field=field_name) for code in value]


def _spec(value, field_name: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise ValidationError(
            _("{field_name} must name at least one property, like 颜色=红",
              field_name=field_name), field=field_name)
    spec: dict[str, str] = {}
    for k, v in value.items():
        k = _text(k, f"{field_name} name", MAX_SPEC_TEXT, required=True)
        v = _text(v, f"{field_name} {k}", MAX_SPEC_TEXT, required=True)
        if any(sep in k or sep in v for sep in SPEC_SEPARATORS):
            raise ValidationError(
                _("{field_name} {k}={v} must not contain any of {SPEC_SEPARATORS}",
                  field_name=field_name, k=k, v=v, SPEC_SEPARATORS=' '.join(SPEC_SEPARATORS)),
                field=field_name)
        if k in spec:
            raise ValidationError(_("{field_name} names {k} twice",
                                    field_name=field_name, k=k), field=field_name)
        spec[k] = v
    return spec


def normalize_variant(variant: Variant, index: int) -> Variant:
    if not isinstance(variant, Variant):
        raise ValidationError(_("variants[{index}] must be a Variant",
                                index=index), field="variants")
    where = f"variants[{index}]"
    v = variant.copy()
    v.id = _check_id(v.id, f"{where}.id", "v")
    v.spec = _spec(v.spec, f"{where}.spec")
    v.sku = _text(v.sku, f"{where}.sku", MAX_SKU, required=False)
    v.price = None if v.price is None else _amount(v.price, f"{where}.price")
    v.cost = None if v.cost is None else _amount(v.cost, f"{where}.cost")
    v.barcodes = _barcode_list(v.barcodes, f"{where}.barcodes")
    v.active = _flag(v.active, f"{where}.active")
    return v


def normalize_product(product: Product, category_ids: Container[str]) -> Product:
    """A checked, tidied copy of ``product`` (ids assigned), or ValidationError.

    Checks everything that concerns the product alone; uniqueness against the rest of the
    catalog (sku, barcodes) is the catalog's job.
    """
    if not isinstance(product, Product):
        raise ValidationError(_("expected a Product"))
    p = product.copy()
    p.id = _check_id(p.id, "id", "p")
    p.sku = _text(p.sku, "sku", MAX_SKU, required=True)
    p.name = _text(p.name, "name", MAX_NAME, required=True)
    p.name_en = _text(p.name_en, "name_en", MAX_NAME, required=False)
    p.description = text(p.description, "description", MAX_DESCRIPTION, multiline=True)
    p.unit = _text(p.unit, "unit", MAX_UNIT, required=True)
    p.price = _amount(p.price, "price")
    p.cost = _amount(p.cost, "cost")
    p.stock_tracked = _flag(p.stock_tracked, "stock_tracked")
    p.serialised = _flag(p.serialised, "serialised")
    p.active = _flag(p.active, "active")
    p.tax_rate = _whole(p.tax_rate, "tax_rate", low=0, high=MAX_TAX_RATE)
    if p.category_id in ("", None):
        p.category_id = None
    elif not isinstance(p.category_id, str) or p.category_id not in category_ids:
        raise ValidationError(_("category {category_id} does not exist",
                                category_id=repr(p.category_id)),
                              field="category_id")
    p.barcodes = _barcode_list(p.barcodes, "barcodes")
    if not isinstance(p.variants, (list, tuple)):
        raise ValidationError(_("variants must be a list"), field="variants")
    p.variants = [normalize_variant(v, i) for i, v in enumerate(p.variants)]

    seen_ids: set[str] = set()
    seen_specs: set[tuple] = set()
    seen_skus: set[str] = set()
    for v in p.variants:
        if v.id in seen_ids:
            raise ValidationError(_("variant id {id} appears twice", id=v.id), field="variants")
        if spec_key(v.spec) in seen_specs:
            raise ValidationError(_("two variants have the same spec {spec_text}",
                                    spec_text=v.spec_text),
                                  field="variants")
        if v.sku and v.sku in seen_skus:
            raise ValidationError(_("two variants have the same sku {sku}",
                                    sku=v.sku), field="variants")
        seen_ids.add(v.id)
        seen_specs.add(spec_key(v.spec))
        seen_skus.add(v.sku)
    codes = list(p.barcodes) + [c for v in p.variants for c in v.barcodes]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ValidationError(_("barcode {dupes} is given twice for this product", dupes=dupes[0]),
                              field="barcodes")
    return p


def normalize_category(category: Category) -> Category:
    if not isinstance(category, Category):
        raise ValidationError(_("expected a Category"))
    c = category.copy()
    c.id = _check_id(c.id, "id", "c")
    c.name = _text(c.name, "name", MAX_CATEGORY_NAME, required=True)
    c.name_en = _text(c.name_en, "name_en", MAX_NAME, required=False)
    c.sort = _whole(c.sort, "sort", low=-1_000_000, high=1_000_000)
    return c


def sellable_barcodes(product: Product) -> Iterator[tuple[str, str | None]]:
    """(barcode, variant id or None) for what a scan may sell: active items only."""
    if not product.active:
        return
    for code in product.barcodes:
        yield code, None
    for v in product.variants:
        if v.active:
            for code in v.barcodes:
                yield code, v.id


def _describe(p: Product) -> str:
    return f'product "{p.name}" (sku {p.sku})'


# --- the in-memory snapshot ---------------------------------------------------------------

@dataclass(frozen=True)
class _Snapshot:
    products: dict[str, Product]
    categories: dict[str, Category]
    product_keys: dict[str, int]   # product id -> TinyDB doc id
    category_keys: dict[str, int]
    barcodes: dict[str, tuple[str, str | None]]
    skus: dict[str, str]           # product sku -> product id
    ordered: list[str]             # product ids by name
    haystacks: dict[str, str]      # product id -> casefolded search text


def _name_key(p: Product) -> tuple:
    # sku is unique, so the order is total and the same however the snapshot was built.
    return (p.name.casefold(), p.name, p.sku)


def _haystack(p: Product) -> str:
    return "\n".join([p.name, p.name_en, p.sku, *p.barcodes, *(v.sku for v in p.variants),
                      *(c for v in p.variants for c in v.barcodes)]).casefold()


def _snapshot(products: dict[str, Product], categories: dict[str, Category],
              product_keys: dict[str, int], category_keys: dict[str, int]) -> _Snapshot:
    barcodes: dict[str, tuple[str, str | None]] = {}
    for p in products.values():
        for code, vid in sellable_barcodes(p):
            if code in barcodes:
                # Only a hand-edited file gets here; the first product keeps the code.
                log.warning("barcode %s is on more than one product (%s, %s)", code,
                            barcodes[code][0], p.id)
                continue
            barcodes[code] = (p.id, vid)
    return _Snapshot(products=products, categories=categories, product_keys=product_keys,
                     category_keys=category_keys, barcodes=barcodes,
                     skus={p.sku: p.id for p in products.values()},
                     ordered=sorted(products, key=lambda pid: _name_key(products[pid])),
                     haystacks={p.id: _haystack(p) for p in products.values()})


def _with_product(st: _Snapshot, p: Product, key: int) -> _Snapshot:
    """``st`` with one product saved: patched, not rebuilt (a save must stay cheap on a
    catalog of tens of thousands of products)."""
    old = st.products.get(p.id)
    products = {**st.products, p.id: p}
    barcodes = dict(st.barcodes)
    skus = dict(st.skus)
    ordered = st.ordered
    if old is not None:
        for code, _vid in sellable_barcodes(old):
            if barcodes.get(code, ("",))[0] == p.id:
                del barcodes[code]
        if skus.get(old.sku) == p.id:
            del skus[old.sku]
    for code, vid in sellable_barcodes(p):
        barcodes[code] = (p.id, vid)
    skus[p.sku] = p.id
    if old is None or _name_key(old) != _name_key(p):
        ordered = [pid for pid in st.ordered if pid != p.id]
        bisect.insort(ordered, p.id, key=lambda pid: _name_key(products[pid]))
    return replace(st, products=products, product_keys={**st.product_keys, p.id: key},
                   barcodes=barcodes, skus=skus, ordered=ordered,
                   haystacks={**st.haystacks, p.id: _haystack(p)})


def _replace_doc_with(doc: dict):
    def apply(stored: dict) -> None:
        stored.clear()
        stored.update(doc)
    return apply


class Catalog:
    """Products and categories of one shop. See the module docstring for the design."""

    def __init__(self, db: TinyDB, lock: threading.RLock):
        self._db = db
        self._lock = lock
        with lock:
            self._state = self._load()

    @property
    def lock(self) -> threading.RLock:
        """Hold it to read-modify-write the catalog consistently (CSV import does)."""
        return self._lock

    # --- reading ---

    def find_product(self, product_id: str) -> Product | None:
        p = self._state.products.get(product_id)
        return p.copy() if p is not None else None

    def get_product(self, product_id: str) -> Product:
        p = self.find_product(product_id)
        if p is None:
            raise NotFound(_("no product with id {product_id}",
                             product_id=product_id), field="product_id")
        return p

    def find_by_sku(self, sku: str) -> Product | None:
        st = self._state
        pid = st.skus.get(sku.strip()) if isinstance(sku, str) else None
        return st.products[pid].copy() if pid else None

    def lookup_barcode(self, code: str) -> tuple[Product, Variant | None] | None:
        """What a scanned code sells: (product, variant or None), or None if unknown."""
        if not isinstance(code, str):
            return None
        st = self._state
        hit = st.barcodes.get(code.strip())
        if hit is None:
            return None
        product = st.products[hit[0]].copy()
        return product, (product.variant(hit[1]) if hit[1] else None)

    def search(self, q: str, limit: int | None = 50, category_id: str | None = None,
               include_inactive: bool = False) -> list[Product]:
        """Products whose name, English name, sku, variant skus or barcodes contain ``q``
        (ignoring case), ordered by name. An empty ``q`` matches everything."""
        st = self._state
        needle = (q or "").strip().casefold()
        found: list[Product] = []
        if limit is not None and limit <= 0:
            return found
        for pid in st.ordered:
            p = st.products[pid]
            if not include_inactive and not p.active:
                continue
            if category_id is not None and p.category_id != category_id:
                continue
            if needle and needle not in st.haystacks[pid]:
                continue
            found.append(p.copy())
            if limit is not None and len(found) >= limit:
                break
        return found

    def list_products(self, category_id: str | None = None,
                      include_inactive: bool = False) -> list[Product]:
        return self.search("", limit=None, category_id=category_id,
                           include_inactive=include_inactive)

    def list_categories(self) -> list[Category]:
        cats = self._state.categories.values()
        return [c.copy() for c in sorted(cats, key=lambda c: (c.sort, c.name))]

    def get_category(self, category_id: str) -> Category:
        c = self._state.categories.get(category_id)
        if c is None:
            raise NotFound(_("no category with id {category_id}",
                             category_id=category_id), field="category_id")
        return c.copy()

    def find_category_by_name(self, name: str) -> Category | None:
        wanted = name.strip().casefold()
        for c in self._state.categories.values():
            if c.name.casefold() == wanted:
                return c.copy()
        return None

    def counts(self) -> dict[str, int]:
        st = self._state
        active = [p for p in st.products.values() if p.active]
        return {"products": len(active),
                "products_inactive": len(st.products) - len(active),
                "variants": sum(len(p.active_variants()) for p in active),
                "categories": len(st.categories),
                "barcodes": len(st.barcodes)}

    # --- writing ---

    def save_product(self, product: Product) -> Product:
        """Create or update a product (matched by id); returns it as stored."""
        with self._lock:
            st = self._state
            p = normalize_product(product, st.categories)
            self._check_unique(st, p)
            doc = p.to_doc()
            table = self._db.table(PRODUCTS)
            key = st.product_keys.get(p.id)
            if key is None or not table.update(_replace_doc_with(doc), doc_ids=[key]):
                key = table.insert(doc)
            self._state = _with_product(st, p, key)
            log.info("saved product %s (%s)", p.id, p.sku)
            return p.copy()

    def deactivate_product(self, product_id: str) -> Product:
        """Take a product off sale. It stays on record (old orders refer to it)."""
        with self._lock:
            p = self.get_product(product_id)
            if not p.active:
                return p
            p.active = False
            return self.save_product(p)

    def save_category(self, category: Category) -> Category:
        with self._lock:
            st = self._state
            c = normalize_category(category)
            for other in st.categories.values():
                if other.id != c.id and other.name.casefold() == c.name.casefold():
                    raise ValidationError(_("there is already a category named {name}",
                                            name=other.name),
                                          field="name")
            doc = c.to_doc()
            table = self._db.table(CATEGORIES)
            key = st.category_keys.get(c.id)
            if key is None or not table.update(_replace_doc_with(doc), doc_ids=[key]):
                key = table.insert(doc)
            self._state = _snapshot(st.products, {**st.categories, c.id: c}, st.product_keys,
                                    {**st.category_keys, c.id: key})
            log.info("saved category %s (%s)", c.id, c.name)
            return c.copy()

    def replace_catalog(self, categories: Iterable[Category],
                        products: Iterable[Product]) -> list[Product]:
        """Make the catalog exactly these categories and products, in one write.

        Everything is validated first; on any error nothing changes. Products left out are
        gone from the catalog: pass them deactivated to keep them on record.
        """
        with self._lock:
            cats: dict[str, Category] = {}
            names: set[str] = set()
            for c in categories:
                c = normalize_category(c)
                if c.id in cats:
                    raise ValidationError(_("category id {id} appears twice", id=c.id))
                if c.name.casefold() in names:
                    raise ValidationError(_("category name {name} appears twice", name=c.name))
                cats[c.id] = c
                names.add(c.name.casefold())
            prods: dict[str, Product] = {}
            for p in products:
                try:
                    p = normalize_product(p, cats)
                except ValidationError as exc:
                    raise ValidationError(_("{p}: {message}", p=_describe(p), message=exc.message),
                                          field=exc.field) from None
                if p.id in prods:
                    raise ValidationError(_("product id {id} appears twice", id=p.id))
                prods[p.id] = p
            self._check_all_unique(prods.values())

            data = dict(self._db.storage.read() or {})  # leave the cached dict alone
            data[CATEGORIES] = {str(i): c.to_doc() for i, c in enumerate(cats.values(), 1)}
            data[PRODUCTS] = {str(i): p.to_doc() for i, p in enumerate(prods.values(), 1)}
            self._db.storage.write(data)
            self._forget_tinydb_state()
            self._state = _snapshot(prods, cats,
                                    {pid: i for i, pid in enumerate(prods, 1)},
                                    {cid: i for i, cid in enumerate(cats, 1)})
            log.info("replaced the catalog: %d products, %d categories", len(prods), len(cats))
            return [p.copy() for p in prods.values()]

    # --- internals ---

    def _load(self) -> _Snapshot:
        data = self._db.storage.read() or {}
        where = getattr(self._db.storage, "path", "the catalog")
        products: dict[str, Product] = {}
        product_keys: dict[str, int] = {}
        categories: dict[str, Category] = {}
        category_keys: dict[str, int] = {}
        for table, cls, items, keys in ((PRODUCTS, Product, products, product_keys),
                                        (CATEGORIES, Category, categories, category_keys)):
            for key, doc in (data.get(table) or {}).items():
                try:
                    obj = cls.from_doc(doc)
                    keys[obj.id] = int(key)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise CorruptStorageError(
                        _("record {key} of table {table} in {where} is damaged ({exc})",
                          key=key, table=table, where=where, exc=repr(exc))
                    ) from exc
                items[obj.id] = obj
        log.info("catalog loaded: %d products, %d categories", len(products), len(categories))
        return _snapshot(products, categories, product_keys, category_keys)

    def _forget_tinydb_state(self) -> None:
        # replace_catalog wrote behind TinyDB's back: drop its query caches, and the next
        # free doc id it remembers per table (no public API resets that one).
        for name in (PRODUCTS, CATEGORIES):
            table = self._db.table(name)
            table.clear_cache()
            table._next_id = None

    @staticmethod
    def _check_unique(st: _Snapshot, p: Product) -> None:
        owner = st.skus.get(p.sku)
        if owner is not None and owner != p.id:
            raise ValidationError(
                _("sku {sku} is already used by {products}",
                  sku=p.sku, products=_describe(st.products[owner])), field="sku")
        for code, _vid in sellable_barcodes(p):
            hit = st.barcodes.get(code)
            if hit is not None and hit[0] != p.id:
                raise ValidationError(
                    _("barcode {code} is already used by {products}",
                      code=code, products=_describe(st.products[hit[0]])),
                    field="barcodes")

    @staticmethod
    def _check_all_unique(products: Iterable[Product]) -> None:
        skus: dict[str, Product] = {}
        codes: dict[str, Product] = {}
        for p in products:
            if p.sku in skus:
                raise ValidationError(_("{p}: sku {sku} is already used by {skus}",
                                        p=_describe(p), sku=p.sku, skus=_describe(skus[p.sku])),
                                        field="sku")
            skus[p.sku] = p
            for code, _vid in sellable_barcodes(p):
                if code in codes:
                    raise ValidationError(_("{p}: barcode {code} is already used by {codes}",
                                            p=_describe(p), code=code, codes=_describe(codes[code])),
                                            field="barcodes")
                codes[code] = p

"""The store scope of a back-office caller (DESIGN.md 3.2): a MANAGER (or a store-limited API token) sees and
changes only the records of `principal.store_ids`; OWNER and ADMINISTRATOR (`store_ids` None) see every store.

One rule for every read: a record outside the scope is treated exactly as one that does not exist (404 NOT_FOUND,
never 403), and a listing holds only in-scope records. Listings are read through `scoped_page`, which filters
what the adapters answer, so that no cursor (an owner's replayed by a manager, a crafted one) and no filter can
reach past the scope: the scope is applied to the records themselves, after whatever the query selected.
"""
from collections.abc import Callable

from chalicelib.services.common import Principal

# A scoped listing reads at most this many adapter pages for one answer; it then answers what it found (maybe
# fewer than `limit`, even none) with the cursor to go on: a manager of a small store in a large merchant waits
# for a bounded time per page, at the cost of short pages.
MAX_SCAN_PAGES = 20

Reader = Callable[[int, str | None, str | None], tuple[list, str | None]]  # (count, cursor, store_id) -> page


def sees(principal: Principal | None, store_id: str | None) -> bool:
    return principal is None or principal.sees_store(store_id)


def scoped_page(principal: Principal, read: Reader, limit: int, cursor: str | None, store_id: str | None = None,
                *, in_scope: Callable[[list], list[bool]] | None = None, by_store: bool = True) -> tuple[list, str | None]:
    """A page of a listing, holding only what `principal` may see.

    `read(count, cursor, store_id)` reads the adapter's page; `in_scope(items)` says which items the caller sees
    (default: `item["store_id"]`, or `.store_id`, is in the scope). `by_store`: the listing can filter by store
    itself, so a caller scoped to one store reads that store's pages only.

    Cost: an unscoped caller reads exactly as before. A caller scoped to one store (the usual manager) reads that
    store's pages (`by_store`). A caller scoped to several stores reads the merchant's pages and keeps its own
    records (at most MAX_SCAN_PAGES pages per answer); when the page is full before the adapter's page ends, the
    adapter is read once more to get a cursor that points right after the last record kept.
    """
    scope = principal.store_ids
    if scope is None:
        return read(limit, cursor, store_id)
    if store_id is not None and store_id not in scope:
        return [], None  # a store outside the scope lists as a store without records would
    if not scope:
        return [], None
    if store_id is None and by_store and len(scope) == 1:
        store_id = next(iter(scope))
    check = in_scope or (lambda items: [principal.sees_store(_store_of(item)) for item in items])
    kept: list = []
    for _ in range(MAX_SCAN_PAGES):
        page, next_cursor = read(limit, cursor, store_id)
        for index, (item, visible) in enumerate(zip(page, check(page))):
            if not visible:
                continue
            kept.append(item)
            if len(kept) == limit:
                if index == len(page) - 1:
                    return kept, next_cursor
                _, exact = read(index + 1, cursor, store_id)  # the same query, ending right after this record
                return kept, exact
        if not next_cursor:
            return kept, None
        cursor = next_cursor
    return kept, cursor


def _store_of(item) -> str | None:
    return item.get("store_id") if isinstance(item, dict) else getattr(item, "store_id", None)

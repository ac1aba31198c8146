"""One page of a list the database pages for a screen (LIMIT/OFFSET in SQL)."""

from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: tuple[Row, ...]
    total: int
    page: int
    page_size: int
    # A search that matched more cases than its window (services.search.WINDOWS): only the newest `window`
    # were ranked and paged; `wider`, the next window the person may ask for (None: the widest was asked).
    more: bool = False
    window: int = 0
    wider: int | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def clamp(page: int, total: int, page_size: int) -> int:
    """A page that exists: after a filter shrinks the list, the last one instead of an empty one."""
    return min(max(1, page), max(1, -(-total // page_size)))


def read_page(
    session: so.Session, query: sa.Select, count_query: sa.Select, page: int, page_size: int, *, together: bool
) -> tuple[list[tuple], int, int]:
    """(rows, total, page) of one page of `query` (already ordered). `together`: the total counted by the
    same statement (count(*) OVER ()) — for a search's few found cases, each read once instead of twice;
    a page past the last is then counted apart and the last page read."""
    if together:
        rows = session.execute(
            query.add_columns(sa.func.count().over()).limit(page_size).offset((page - 1) * page_size)
        ).all()
        if rows or page <= 1:
            return [tuple(r[:-1]) for r in rows], (rows[0][-1] if rows else 0), max(1, page)
    total = session.scalar(count_query)
    page = clamp(page, total, page_size)
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).all()
    return [tuple(r) for r in rows], total, page

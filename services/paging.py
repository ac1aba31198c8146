"""One page of a list the database pages for a screen (LIMIT/OFFSET in SQL)."""

from dataclasses import dataclass
from typing import Generic, TypeVar

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: tuple[Row, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def clamp(page: int, total: int, page_size: int) -> int:
    """A page that exists: after a filter shrinks the list, the last one instead of an empty one."""
    return min(max(1, page), max(1, -(-total // page_size)))

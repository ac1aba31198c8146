"""The text the desk searches, one row per document (services/search.py keeps it in step with the cases).

A case has up to two documents, both with its subject and its requester's name: "case" (subject, description, the conversation, the solution: what its
requester may read) and "note" (the staff's internal notes). Who may find a document is written on it
(requester, area, kind — also as the words of `scope`), so the search's rights are part of the same
query that matches the words.

The word index itself is not a model: on SQLite an FTS5 table (search_fts, external content over this
table, kept by triggers; `scope` is its fourth column), on PostgreSQL a stored tsvector column
(search_docs.tsv) in a GIN index beside the scope's words and the document's block of ids — made by
migrations 0011 and 0013 and left out of the models' comparison (tests/test_schema.py).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, utcnow

CASE_DOC = "case"
NOTE_DOC = "note"


class SearchDoc(Base):
    __tablename__ = "search_docs"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('case', 'note')", name="kind"),
        sa.UniqueConstraint("case_id", "kind", name="uq_search_docs_case_kind"),
        sa.Index("ix_search_docs_requester", "requester_id"),
        sa.Index("ix_search_docs_area", "area_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    requester_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("areas.id"))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    people: so.Mapped[str] = so.mapped_column(sa.String(200))  # the requester's name: "pérez impresora"
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # Who may find it, as words of the word index only the desk writes: "r12 a3 kcase t5f0c…" (requester,
    # area, kind, the subject's key; services.search.scope_words).
    scope: so.Mapped[str] = so.mapped_column(sa.String(80))
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

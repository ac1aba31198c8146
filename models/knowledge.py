"""The knowledge base: articles with their versions, what readers said of them, and the advisors'
predefined replies (services/knowledge.py).

An article's own row holds what readers see — the published version (or, before the first publication,
the draft) — and is what the search indexes (SQLite FTS5 kb_fts / PostgreSQL kb_articles.tsv, made by
migration 0012, left out of the models' comparison like the cases' index). Every save is a new row of
kb_versions; publishing one copies it onto the article.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, utcnow

PUBLIC, INTERNAL = "public", "internal"
DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
# What the desk counts about its articles (Informes → Conocimiento).
VIEW, HELPFUL, NOT_HELPFUL, AVOIDED, SEARCH = "view", "helpful", "not_helpful", "avoided", "search"


class Article(Base):
    __tablename__ = "kb_articles"
    __table_args__ = (
        sa.CheckConstraint("audience IN ('public', 'internal')", name="audience"),
        sa.CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_kb_articles_status_updated", "status", "updated_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    tags: so.Mapped[str] = so.mapped_column(sa.String(300), default="", server_default="")
    audience: so.Mapped[str] = so.mapped_column(sa.String(8), default=PUBLIC, server_default=PUBLIC)
    status: so.Mapped[str] = so.mapped_column(sa.String(9), default=DRAFT, server_default=DRAFT)
    area_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("areas.id"), index=True)
    option_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("service_options.id"))
    source_case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    published_version: so.Mapped[int | None]
    views: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    helpful: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    not_helpful: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    published_at: so.Mapped[datetime | None]
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")

    # Optimistic locking: two editors saving from the same version — the second is told, nothing lost.
    __mapper_args__ = {"version_id_col": version}


class ArticleVersion(Base):
    """One saved text of an article: drafts and the published ones, its history."""

    __tablename__ = "kb_versions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number", name="uq_kb_versions_article_number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    article_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("kb_articles.id", ondelete="CASCADE"))
    number: so.Mapped[int]
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    tags: so.Mapped[str] = so.mapped_column(sa.String(300), default="", server_default="")
    audience: so.Mapped[str] = so.mapped_column(sa.String(8))
    area_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("areas.id"))
    option_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("service_options.id"))
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    published_at: so.Mapped[datetime | None]


class ArticleVote(Base):
    """ "¿Le sirvió?": one answer per person and article, which they may change."""

    __tablename__ = "kb_votes"

    article_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    helpful: so.Mapped[bool]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class KnowledgeEvent(Base):
    """What Informes → Conocimiento counts: a view, a vote, a case avoided, a search and how many it found."""

    __tablename__ = "kb_events"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('view', 'helpful', 'not_helpful', 'avoided', 'search')", name="kind"),
        sa.Index("ix_kb_events_kind_created", "kind", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    article_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("kb_articles.id", ondelete="CASCADE"))
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    query: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    results: so.Mapped[int | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class CannedReply(Base):
    """A predefined reply of an area, with placeholders ({solicitante}, {caso}, {asesor}, {area})."""

    __tablename__ = "canned_replies"
    __table_args__ = (sa.UniqueConstraint("area_id", "title", name="uq_canned_replies_area_title"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    updated_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

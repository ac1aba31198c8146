"""Base de conocimiento: articles written by advisors and admins (drafts, published versions, history),
read by everyone (public ones) or by the staff (internal ones); "¿Le sirvió?"; suggestions while a case
is registered ("Esto resolvió mi problema" counts a case avoided); predefined replies of each area; and
the figures of Informes → Conocimiento.

Who may do what:
- read: a published public article, anyone; internal ones and drafts, the staff (advisors, managers,
  admins);
- write (create, edit, publish, archive, predefined replies): advisors (their areas' replies) and admins;
  managers read and count, as everywhere else.
The search over articles runs in the database (services/search.py's word forms), with the reader's
rights in the same query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Area, Article, ArticleVersion, ArticleVote, CannedReply, KnowledgeEvent, ServiceOption, User
from models.enums import Role, Status
from models.knowledge import (
    ARCHIVED,
    AVOIDED,
    DRAFT,
    HELPFUL,
    INTERNAL,
    NOT_HELPFUL,
    PUBLIC,
    PUBLISHED,
    SEARCH,
    VIEW,
)
from services import clock, search, text, workflow
from services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.paging import Page, clamp
from services.users import Actor

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_TAGS = 300
MAX_REPLY = 5_000
PAGE_SIZE = 20
SUGGESTIONS = 3
STAFF = (Role.ADVISOR, Role.MANAGER, Role.ADMIN)
WRITERS = (Role.ADVISOR, Role.ADMIN)
PLACEHOLDERS = ("solicitante", "caso", "asesor", "area")


@dataclass(frozen=True)
class ArticleRow:
    id: int
    title: str
    status: str
    audience: str
    area: str | None
    updated_at: datetime
    views: int
    helpful: int
    not_helpful: int
    snippet: str = ""


@dataclass(frozen=True)
class ArticleView:
    id: int
    title: str
    body: str
    tags: str
    audience: str
    status: str
    area_id: int | None
    option_id: int | None
    area: str | None
    published_version: int | None
    latest_version: int
    updated_at: datetime
    published_at: datetime | None
    views: int
    helpful: int
    not_helpful: int
    my_vote: bool | None
    may_edit: bool
    version: int  # the row's version, for a stale edit
    draft: VersionRow | None = None  # staff: the newest saved text when it is newer than the published one


@dataclass(frozen=True)
class VersionRow:
    number: int
    title: str
    body: str
    tags: str
    audience: str
    area_id: int | None
    option_id: int | None
    author: str
    created_at: datetime
    published_at: datetime | None


@dataclass(frozen=True)
class CannedRow:
    id: int
    area_id: int
    area: str
    title: str
    body: str


@dataclass(frozen=True)
class KnowledgeReport:
    unanswered: list[tuple[str, int]]  # searches without results: (words, times), most asked first
    most_viewed: list[tuple[int, str, int]]  # (id, title, views)
    most_helpful: list[tuple[int, str, int, int]]  # (id, title, helpful, not helpful)
    avoided_by_month: list[tuple[str, int]]  # ("2026-11", cases avoided)
    avoided_total: int


ArticlePage = Page[ArticleRow]
_ROW_COLUMNS = (
    Article.id,
    Article.title,
    Article.status,
    Article.audience,
    Area.name,
    Article.updated_at,
    Article.views,
    Article.helpful,
    Article.not_helpful,
)  # an ArticleRow's, in order


@dataclass(frozen=True)
class Rights:
    """What the knowledge base lets one person do; pages show what these allow and decide nothing."""

    read_internal: bool  # internal articles and drafts, the predefined replies
    write: bool  # articles and the predefined replies of their areas


def rights(actor: Actor) -> Rights:
    return Rights(read_internal=actor.role in STAFF, write=actor.role in WRITERS)


def _staff(actor: Actor) -> bool:
    return actor.role in STAFF


def _require_writer(actor: Actor) -> None:
    if actor.role not in WRITERS:
        raise PermissionDenied("kb.forbidden")


def _readable(actor: Actor, column=lambda c: c):
    """The articles this actor may read, as a WHERE: published public ones; the staff every one not archived.
    `column` may wrap each column (_tested_only)."""
    if _staff(actor):
        return column(Article.status) != ARCHIVED
    return sa.and_(column(Article.status) == PUBLISHED, column(Article.audience) == PUBLIC)


def _tested_only(session: so.Session):
    """On SQLite, a column the planner must test on what the word index found, not use an index of to
    drive the query ("+column"): driven by the status index it ran the FTS5 MATCH once per article
    (seconds with 10,000 of them; bench/bench_search.py), driven by the MATCH it takes milliseconds."""
    if session.get_bind().dialect.name != "sqlite":
        return lambda c: c
    return lambda c: sa.literal_column(f"+{c.table.name}.{c.name}", type_=c.type)


def _article(session: so.Session, actor: Actor, article_id: int | str, *, lock: bool = False) -> Article:
    try:
        wanted = int(article_id)
    except (TypeError, ValueError):
        raise NotFound("kb.not_found") from None
    query = sa.select(Article).where(Article.id == wanted, _readable(actor))
    article = session.scalar(query.with_for_update() if lock else query)
    if article is None:
        raise NotFound("kb.not_found")  # another's internal article is as absent as a missing one
    return article


# ---------------------------------------------------------------- reading


def _match(session: so.Session, words: list[str], *, any_word: bool):
    """(source, test, rank) over the articles for these words: every word, or (suggestions) any of them."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        fts = sa.literal_column("kb_fts")
        index = sa.table("kb_fts", sa.column("rowid"))
        query = search.fts5_query(words, any_word=any_word)
        return (
            index.join(Article.__table__, Article.id == index.c.rowid),
            fts.op("MATCH")(query),
            sa.func.bm25(fts, 10.0, 1.0, 4.0),
        )
    spanish, tsv = sa.literal_column("'spanish'::regconfig"), sa.literal_column("kb_articles.tsv")
    joined = search.postgres_words(words, any_word=any_word)
    tsquery = sa.func.websearch_to_tsquery(spanish, sa.func.mesa_unaccent(joined))
    return Article.__table__, tsv.op("@@")(tsquery), -sa.func.ts_rank(tsv, tsquery)


def _snippet_sql(session: so.Session, words: list[str]):
    if session.get_bind().dialect.name == "sqlite":
        return sa.func.snippet(sa.literal_column("kb_fts"), 1, search.SNIPPET_START, search.SNIPPET_END, "…", 14)
    spanish = sa.literal_column("'spanish'::regconfig")
    tsquery = sa.func.plainto_tsquery(spanish, sa.func.mesa_unaccent(search.postgres_words(words)))
    options = f"StartSel={search.SNIPPET_START}, StopSel={search.SNIPPET_END}, MaxWords=18, MinWords=8"
    return sa.func.ts_headline(spanish, Article.body, tsquery, options)


def list_articles(
    *,
    session: so.Session,
    actor: Actor,
    words: str = "",
    area_id: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    record: bool = True,
) -> ArticlePage:
    """The articles the actor may read, newest first, or with `words` the best match first (with the
    piece of text where they are). A search is counted (with how many it found) for Informes."""
    wanted = search.terms(text.clean(words))
    columns = _ROW_COLUMNS
    column = _tested_only(session) if wanted else (lambda c: c)
    where = [_readable(actor, column)]
    if area_id:
        where.append(column(Article.area_id) == area_id)
    if wanted:
        source, test, rank = _match(session, wanted, any_word=False)
        where.append(test)
        count_query = sa.select(sa.func.count()).select_from(source).where(*where)
        if session.get_bind().dialect.name == "sqlite":
            total = session.scalar(count_query)
            page = clamp(page, total, page_size)
            query = (
                sa.select(*columns, _snippet_sql(session, wanted))
                .select_from(source)
                .outerjoin(Area, Area.id == Article.area_id)
                .order_by(rank, Article.id)
            )
            rows = session.execute(query.where(*where).limit(page_size).offset((page - 1) * page_size)).all()
        else:
            rows, total, page = _ranked_page(session, rank, source, where, wanted, page, page_size)
        if record and page == 1:
            session.add(KnowledgeEvent(kind=SEARCH, user_id=actor.id, query=" ".join(wanted)[:200], results=total))
    else:
        total = session.scalar(sa.select(sa.func.count()).select_from(Article).where(*where))
        query = (
            sa.select(*columns, sa.literal(""))
            .outerjoin(Area, Area.id == Article.area_id)
            .order_by(Article.updated_at.desc(), Article.id.desc())
        )
        page = clamp(page, total, page_size)
        rows = session.execute(query.where(*where).limit(page_size).offset((page - 1) * page_size)).all()
    return ArticlePage(
        tuple(ArticleRow(*r[:-1], snippet=" ".join((r[-1] or "").split())) for r in rows), total, page, page_size
    )


def _ranked_page(session: so.Session, rank, source, where: list, wanted: list[str], page: int, page_size: int):
    """(rows, total, page) of a search on PostgreSQL: the matching articles ranked and counted by one
    statement over their ids and words alone (count(*) OVER ()), then only the page's articles read whole
    and given their piece of text. A common word matches most of the base: counted apart and ranked with
    the bodies carried along, the same search read every match twice and sorted the bodies on disk
    (21 + 35 ms for "correo" among 10,000 articles)."""

    def read(page: int) -> list[sa.Row]:
        ranked = (
            sa.select(Article.id, rank.label("rank"), sa.func.count().over().label("total"))
            .select_from(source)
            .where(*where)
            .order_by(rank, Article.id)
            .limit(page_size)
            .offset((page - 1) * page_size)
            .subquery("ranked")
        )
        return session.execute(
            sa.select(*_ROW_COLUMNS, _snippet_sql(session, wanted), ranked.c.total)
            .select_from(ranked)
            .join(Article, Article.id == ranked.c.id)
            .outerjoin(Area, Area.id == Article.area_id)
            .order_by(ranked.c.rank, Article.id)
        ).all()

    rows = read(page)
    if not rows and page > 1:  # past the last page: the last one
        page = clamp(page, session.scalar(sa.select(sa.func.count()).select_from(source).where(*where)), page_size)
        rows = read(page)
    return [tuple(r[:-1]) for r in rows], (rows[0][-1] if rows else 0), max(1, page)


def suggestions(
    *, session: so.Session, actor: Actor, subject: str, option_id: int | None = None, limit: int = SUGGESTIONS
) -> list[ArticleRow]:
    """The best published public articles for what is being registered: any of the subject's words
    (the common ones left out), those of the chosen option and its area first."""
    found = search.terms(text.clean(subject), plain=True)
    words = [w for w in found if len(w) > 2 and w not in search.STOPWORDS][: search.MAX_TERMS]
    if not words:
        return []
    source, test, rank = _match(session, words, any_word=True)
    tested = _tested_only(session)
    area_id = None
    if option_id:
        area_id = session.scalar(sa.select(ServiceOption.area_id).where(ServiceOption.id == option_id))
    # A negative rank (lower is better) doubled for the option, half again for its area.
    near = sa.literal(1.0)
    if option_id:
        near = sa.case((Article.option_id == option_id, 2.0), (Article.area_id == area_id, 1.5), else_=1.0)
    rows = session.execute(
        sa.select(*_ROW_COLUMNS)
        .select_from(source)
        .outerjoin(Area, Area.id == Article.area_id)
        .where(test, tested(Article.status) == PUBLISHED, tested(Article.audience) == PUBLIC)
        .order_by(rank * near, Article.id)
        .limit(limit)
    ).all()
    return [ArticleRow(*r) for r in rows]


def get_article(*, session: so.Session, actor: Actor, article_id: int | str, count_view: bool = False) -> ArticleView:
    """One article as the actor may read it; `count_view` adds one to its views (a person opened it)."""
    article = _article(session, actor, article_id)
    if count_view and article.status == PUBLISHED:
        session.execute(sa.update(Article).where(Article.id == article.id).values(views=Article.views + 1))
        session.add(KnowledgeEvent(kind=VIEW, article_id=article.id, user_id=actor.id))
        session.flush()
        session.refresh(article)
    latest = session.scalar(
        sa.select(sa.func.max(ArticleVersion.number)).where(ArticleVersion.article_id == article.id)
    )
    vote = session.scalar(
        sa.select(ArticleVote.helpful).where(ArticleVote.article_id == article.id, ArticleVote.user_id == actor.id)
    )
    draft = None
    if _staff(actor) and latest and latest != article.published_version and article.status == PUBLISHED:
        draft = _versions(session, article.id, only=latest)[0]
    return ArticleView(
        id=article.id,
        title=article.title,
        body=article.body,
        tags=article.tags,
        audience=article.audience,
        status=article.status,
        area_id=article.area_id,
        option_id=article.option_id,
        area=session.scalar(sa.select(Area.name).where(Area.id == article.area_id)) if article.area_id else None,
        published_version=article.published_version,
        latest_version=latest or 1,
        updated_at=article.updated_at,
        published_at=article.published_at,
        views=article.views,
        helpful=article.helpful,
        not_helpful=article.not_helpful,
        my_vote=vote,
        may_edit=actor.role in WRITERS,
        version=article.version,
        draft=draft,
    )


def _versions(session: so.Session, article_id: int, only: int | None = None) -> list[VersionRow]:
    query = (
        sa.select(
            ArticleVersion.number,
            ArticleVersion.title,
            ArticleVersion.body,
            ArticleVersion.tags,
            ArticleVersion.audience,
            ArticleVersion.area_id,
            ArticleVersion.option_id,
            User.full_name,
            ArticleVersion.created_at,
            ArticleVersion.published_at,
        )
        .join(User, User.id == ArticleVersion.author_id)
        .where(ArticleVersion.article_id == article_id)
        .order_by(ArticleVersion.number.desc())
    )
    if only is not None:
        query = query.where(ArticleVersion.number == only)
    return [VersionRow(*r) for r in session.execute(query)]


def history(*, session: so.Session, actor: Actor, article_id: int | str) -> list[VersionRow]:
    """Every saved version, newest first (the staff)."""
    if not _staff(actor):
        raise PermissionDenied("kb.forbidden")
    return _versions(session, _article(session, actor, article_id).id)


# ---------------------------------------------------------------- writing


def _checked(session: so.Session, title: str, body: str, tags: str, audience: str, option_id: int | None):
    title, body = " ".join(text.clean(title).split()), text.clean(body)
    tags = ", ".join(t for t in (" ".join(p.split()) for p in text.clean(tags).split(",")) if t)
    if not title:
        raise ValidationFailed("kb.title_required", field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed("kb.title_too_long", field="title", max=MAX_TITLE)
    if not body:
        raise ValidationFailed("kb.body_required", field="body")
    if len(body) > MAX_BODY:
        raise ValidationFailed("kb.body_too_long", field="body", max=MAX_BODY)
    if len(tags) > MAX_TAGS:
        raise ValidationFailed("kb.tags_too_long", field="tags", max=MAX_TAGS)
    if audience not in (PUBLIC, INTERNAL):
        raise ValidationFailed("kb.audience_invalid", field="audience")
    area_id = None
    if option_id:
        area_id = session.scalar(sa.select(ServiceOption.area_id).where(ServiceOption.id == option_id))
        if area_id is None:
            raise ValidationFailed("kb.option_invalid", field="option")
    return title, body, tags, area_id


def save_article(
    *,
    session: so.Session,
    actor: Actor,
    article_id: int | None,
    title: str,
    body: str,
    tags: str = "",
    audience: str = PUBLIC,
    option_id: int | None = None,
    expected_version: int | None = None,
    source_case_id: int | None = None,
) -> int:
    """Save a new version (a draft). A new article starts as a draft; a published one keeps showing its
    published version until this one is published. Returns the article's id."""
    _require_writer(actor)
    title, body, tags, area_id = _checked(session, title, body, tags, audience, option_id)
    now = clock.now()
    if article_id is None:
        article = Article(
            title=title,
            body=body,
            tags=tags,
            audience=audience,
            area_id=area_id,
            option_id=option_id,
            status=DRAFT,
            created_by_id=actor.id,
            created_at=now,
            updated_at=now,
            source_case_id=source_case_id,
        )
        session.add(article)
        session.flush()
        number = 1
    else:
        article = _article(session, actor, article_id, lock=True)
        if expected_version is not None and article.version != expected_version:
            raise Conflict("kb.stale")
        number = 1 + (
            session.scalar(sa.select(sa.func.max(ArticleVersion.number)).where(ArticleVersion.article_id == article.id))
            or 0
        )
        article.updated_at = now
        if article.status == DRAFT:  # nobody reads it yet: the article is its newest draft
            article.title, article.body, article.tags = title, body, tags
            article.audience, article.area_id, article.option_id = audience, area_id, option_id
    session.add(
        ArticleVersion(
            article_id=article.id,
            number=number,
            title=title,
            body=body,
            tags=tags,
            audience=audience,
            area_id=area_id,
            option_id=option_id,
            author_id=actor.id,
            created_at=now,
        )
    )
    session.flush()
    return article.id


def publish(*, session: so.Session, actor: Actor, article_id: int | str, expected_version: int | None = None) -> int:
    """Publish the newest saved version: readers see it from now on. Returns its number."""
    _require_writer(actor)
    article = _article(session, actor, article_id, lock=True)
    if expected_version is not None and article.version != expected_version:
        raise Conflict("kb.stale")
    newest = session.scalar(
        sa.select(ArticleVersion)
        .where(ArticleVersion.article_id == article.id)
        .order_by(ArticleVersion.number.desc())
        .limit(1)
    )
    now = clock.now()
    newest.published_at = now
    article.title, article.body, article.tags = newest.title, newest.body, newest.tags
    article.audience, article.area_id, article.option_id = newest.audience, newest.area_id, newest.option_id
    article.status, article.published_version, article.published_at, article.updated_at = (
        PUBLISHED,
        newest.number,
        now,
        now,
    )
    return newest.number


def archive(*, session: so.Session, actor: Actor, article_id: int | str) -> None:
    """Take an article out of the base (kept, with its history, for the record)."""
    _require_writer(actor)
    article = _article(session, actor, article_id, lock=True)
    article.status, article.updated_at = ARCHIVED, clock.now()


def draft_from_case(*, session: so.Session, actor: Actor, number: int | str) -> int:
    """ "Crear artículo a partir de esta solución": a draft with the case's subject, description and
    solution, of its option, internal until the author removes the personal data and publishes it."""
    _require_writer(actor)
    case = workflow.find_case(session, number)
    actions = workflow.allowed(actor, case)
    actions.require("work")  # another area's case: the desk's usual answer, before anything about it
    if case.status not in (Status.RESOLVED, Status.CLOSED) or not case.solution:
        raise PermissionDenied("kb.case_not_resolved")
    existing = session.scalar(
        sa.select(Article.id).where(Article.source_case_id == case.id, Article.status != ARCHIVED)
    )
    if existing is not None:
        return existing  # one click twice: the same draft
    body = f"## Problema\n\n{case.description}\n\n## Solución\n\n{case.solution}"
    return save_article(
        session=session,
        actor=actor,
        article_id=None,
        title=case.subject,
        body=body,
        audience=INTERNAL,
        option_id=case.option_id,
        source_case_id=case.id,
    )


def vote(*, session: so.Session, actor: Actor, article_id: int | str, helpful: bool) -> None:
    """ "¿Le sirvió?": one answer per person, which they may change (the counters follow)."""
    article = _article(session, actor, article_id)
    if article.status != PUBLISHED:
        raise PermissionDenied("kb.not_published")
    before = session.get(ArticleVote, (article.id, actor.id))
    if before is not None and before.helpful == helpful:
        return
    changes = {
        "helpful": Article.helpful + (1 if helpful else 0),
        "not_helpful": Article.not_helpful + (0 if helpful else 1),
    }
    if before is not None:  # a changed mind: the old answer no longer counts
        changes = {
            "helpful": Article.helpful + (1 if helpful else -1),
            "not_helpful": Article.not_helpful + (-1 if helpful else 1),
        }
        before.helpful = helpful
    else:
        session.add(ArticleVote(article_id=article.id, user_id=actor.id, helpful=helpful))
    session.execute(sa.update(Article).where(Article.id == article.id).values(**changes))
    session.add(KnowledgeEvent(kind=HELPFUL if helpful else NOT_HELPFUL, article_id=article.id, user_id=actor.id))


def solved_by_article(*, session: so.Session, actor: Actor, article_id: int | str, subject: str = "") -> None:
    """ "Esto resolvió mi problema" while registering: no case, one case avoided, and the article helped."""
    article = _article(session, actor, article_id)
    if article.status != PUBLISHED:
        raise PermissionDenied("kb.not_published")
    vote(session=session, actor=actor, article_id=article.id, helpful=True)
    words = " ".join(search.terms(text.clean(subject)))[:200] or None
    session.add(KnowledgeEvent(kind=AVOIDED, article_id=article.id, user_id=actor.id, query=words))


# ---------------------------------------------------------------- predefined replies


def _require_reply_writer(actor: Actor, area_id: int) -> None:
    if actor.role == Role.ADMIN or (actor.role == Role.ADVISOR and area_id in actor.area_ids):
        return
    raise PermissionDenied("kb.forbidden")


def _replies():
    """The predefined replies as CannedRow columns, with their area's name."""
    return sa.select(CannedReply.id, CannedReply.area_id, Area.name, CannedReply.title, CannedReply.body).join(
        Area, Area.id == CannedReply.area_id
    )


def canned_replies(*, session: so.Session, actor: Actor, area_id: int | None = None) -> list[CannedRow]:
    """The predefined replies of one area, or of every area the actor works (admins: all)."""
    if not _staff(actor):
        raise PermissionDenied("kb.forbidden")
    query = _replies().order_by(Area.position, Area.name, CannedReply.title)
    if area_id is not None:
        query = query.where(CannedReply.area_id == area_id)
    if actor.role == Role.ADVISOR:
        query = query.where(CannedReply.area_id.in_(actor.area_ids or (-1,)))
    return [CannedRow(*r) for r in session.execute(query)]


def reply_areas(*, session: so.Session, actor: Actor) -> list[tuple[int, str]]:
    """The areas whose predefined replies the actor keeps: an advisor's own, every area for an admin."""
    if actor.role not in WRITERS:
        return []
    query = sa.select(Area.id, Area.name).where(Area.active).order_by(Area.position, Area.name)
    if actor.role == Role.ADVISOR:
        query = query.where(Area.id.in_(actor.area_ids or (-1,)))
    return [tuple(r) for r in session.execute(query)]


def replies_for_case(*, session: so.Session, actor: Actor, number: int | str) -> list[CannedRow]:
    """The predefined replies of the case's area, for the one who may reply on it."""
    case = workflow.find_case(session, number)
    workflow.allowed(actor, case).require("reply")
    query = _replies().where(CannedReply.area_id == case.area_id).order_by(CannedReply.title)
    return [CannedRow(*r) for r in session.execute(query)]


def save_canned_reply(
    *, session: so.Session, actor: Actor, reply_id: int | None, area_id: int, title: str, body: str
) -> int:
    _require_reply_writer(actor, area_id)
    title, body = " ".join(text.clean(title).split()), text.clean(body)
    if not title:
        raise ValidationFailed("kb.title_required", field="title")
    if len(title) > 120:
        raise ValidationFailed("kb.title_too_long", field="title", max=120)
    if not body:
        raise ValidationFailed("kb.body_required", field="body")
    if len(body) > MAX_REPLY:
        raise ValidationFailed("kb.body_too_long", field="body", max=MAX_REPLY)
    unknown = sorted({m for m in re.findall(r"\{(\w+)\}", body) if m not in PLACEHOLDERS})
    if unknown:
        raise ValidationFailed("kb.unknown_placeholder", field="body", names=", ".join(f"{{{u}}}" for u in unknown))
    clash = session.scalar(sa.select(CannedReply.id).where(CannedReply.area_id == area_id, CannedReply.title == title))
    if clash is not None and clash != reply_id:
        raise ValidationFailed("kb.reply_title_taken", field="title")
    if reply_id is None:
        reply = CannedReply(area_id=area_id, title=title, body=body, updated_by_id=actor.id, updated_at=clock.now())
        session.add(reply)
    else:
        reply = session.get(CannedReply, reply_id)
        if reply is None:
            raise NotFound("kb.reply_not_found")
        _require_reply_writer(actor, reply.area_id)
        reply.area_id, reply.title, reply.body = area_id, title, body
        reply.updated_by_id, reply.updated_at = actor.id, clock.now()
    session.flush()
    return reply.id


def delete_canned_reply(*, session: so.Session, actor: Actor, reply_id: int) -> None:
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise NotFound("kb.reply_not_found")
    _require_reply_writer(actor, reply.area_id)
    session.delete(reply)


def fill_reply(*, session: so.Session, actor: Actor, reply_id: int, number: int | str) -> str:
    """A predefined reply for one case, its placeholders filled: {solicitante} the requester's name,
    {caso} the number, {asesor} the actor's name, {area} the case's area."""
    case = workflow.find_case(session, number)
    workflow.allowed(actor, case).require("reply")
    reply = session.get(CannedReply, reply_id)
    if reply is None or reply.area_id != case.area_id:
        raise NotFound("kb.reply_not_found")
    values = {
        "solicitante": session.scalar(sa.select(User.full_name).where(User.id == case.requester_id)),
        "caso": f"#{case.number}",
        "asesor": actor.full_name,
        "area": session.scalar(sa.select(Area.name).where(Area.id == case.area_id)),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), reply.body)


def article_for_reply(*, session: so.Session, actor: Actor, article_id: int | str, as_link: bool, link: str) -> str:
    """An article put in a reply: its link (`link`: the article's address) or its text."""
    article = _article(session, actor, article_id)
    if article.status != PUBLISHED or article.audience != PUBLIC:
        raise PermissionDenied("kb.not_public")  # the requester could not open it
    if as_link:
        return f"{article.title}: {link}"
    return f"{article.title}\n\n{article.body}"


# ---------------------------------------------------------------- Informes → Conocimiento


def report(*, session: so.Session, actor: Actor, days: int = 90, months: int = 12) -> KnowledgeReport:
    """Managers and admins: searches that found nothing (what to write next), the most read and the most
    helpful articles, and the cases avoided by suggestions, per month."""
    if actor.role not in (Role.MANAGER, Role.ADMIN):
        raise PermissionDenied("kb.forbidden")
    now = clock.now()
    since = now - timedelta(days=days)
    unanswered = session.execute(
        sa.select(KnowledgeEvent.query, sa.func.count())
        .where(KnowledgeEvent.kind == SEARCH, KnowledgeEvent.results == 0, KnowledgeEvent.created_at >= since)
        .group_by(KnowledgeEvent.query)
        .order_by(sa.func.count().desc(), KnowledgeEvent.query)
        .limit(20)
    ).all()
    live = Article.status == PUBLISHED
    most_viewed = session.execute(
        sa.select(Article.id, Article.title, Article.views)
        .where(live, Article.views > 0)
        .order_by(Article.views.desc(), Article.id)
        .limit(10)
    ).all()
    most_helpful = session.execute(
        sa.select(Article.id, Article.title, Article.helpful, Article.not_helpful)
        .where(live, Article.helpful > 0)
        .order_by(Article.helpful.desc(), Article.not_helpful, Article.id)
        .limit(10)
    ).all()
    first = clock.local_day(now).replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start = clock.utc_start_of(first)
    moments = session.scalars(
        sa.select(KnowledgeEvent.created_at).where(KnowledgeEvent.kind == AVOIDED, KnowledgeEvent.created_at >= start)
    ).all()
    by_month: dict[str, int] = {}
    for moment in moments:
        key = clock.to_local(moment).strftime("%Y-%m")
        by_month[key] = by_month.get(key, 0) + 1
    total = session.scalar(sa.select(sa.func.count()).where(KnowledgeEvent.kind == AVOIDED)) or 0
    return KnowledgeReport(
        unanswered=[(q or "", n) for q, n in unanswered],
        most_viewed=[tuple(r) for r in most_viewed],
        most_helpful=[tuple(r) for r in most_helpful],
        avoided_by_month=sorted(by_month.items()),
        avoided_total=total,
    )


def options_for_articles(*, session: so.Session, actor: Actor) -> list[tuple[int, str]]:
    """The options an article may belong to, "Área · Opción", for the editor."""
    _require_writer(actor)
    rows = session.execute(
        sa.select(ServiceOption.id, Area.name, ServiceOption.name)
        .join(Area, Area.id == ServiceOption.area_id)
        .where(ServiceOption.active, Area.active, ServiceOption.mail_only.is_(False))
        .order_by(Area.position, Area.name, ServiceOption.position, ServiceOption.name)
    ).all()
    return [(option_id, f"{area} · {option}") for option_id, area, option in rows]

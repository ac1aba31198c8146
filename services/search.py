"""Full-text search over the cases: the words people type, found in any form, with who may see what
decided inside the same query.

The documents (models/search.py) are written by the transaction that writes their text: sessions of
services.db.DeskSession note the cases whose subject, description, solution, requester, area or messages
change, and rebuild those cases' documents just before they commit. The word index follows the documents
inside the database (SQLite: FTS5 `unicode61 remove_diacritics 2` over search_docs, kept by triggers;
PostgreSQL: a stored `to_tsvector('spanish', mesa_unaccent(…))` column with a GIN index), so a case's
text and its index can never disagree after a commit.

Word forms: PostgreSQL's Spanish stemmer; on SQLite every word typed is cut to a light Spanish stem and
matched as a prefix ("impresoras" → impresora*, which finds "impresora" and "impresoras"). Accents and
capitals are ignored on both. A case whose subject is exactly what was typed comes first; then by rank
(SQLite bm25, PostgreSQL ts_rank), the subject weighing more than the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Case, CaseMessage, SearchDoc, User
from models.enums import Role
from models.search import CASE_DOC, NOTE_DOC

_PENDING = "mesa_search_pending"
_WATCHED = ("subject", "description", "solution", "requester_id", "area_id")
_CHUNK = 500
MAX_TERMS = 8  # words of one search that count; the rest of a pasted paragraph is ignored
SNIPPET_START, SNIPPET_END = "\x02", "\x03"  # around a matched word in a snippet; ui.highlight draws them
_WORD = re.compile(r"\w+", re.UNICODE)


class Searcher(Protocol):
    id: int
    role: str
    area_ids: tuple[int, ...]


# ---------------------------------------------------------------- keeping the documents in step


def track(session_class: type[so.Session]) -> None:
    """Sessions of this class rebuild the documents of the cases they changed when they commit."""
    sa.event.listen(session_class, "before_flush", _collect)
    sa.event.listen(session_class, "before_commit", _refresh_pending)


def _collect(session: so.Session, _context, _instances) -> None:
    pending = session.info.setdefault(_PENDING, {"cases": set(), "ids": set(), "people": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, User) and obj.id is not None and so.attributes.get_history(obj, "full_name").has_changes():
            pending["people"].add(obj.id)
        elif isinstance(obj, Case):
            if obj in session.new or any(so.attributes.get_history(obj, n).has_changes() for n in _WATCHED):
                pending["cases"].add(obj)
        elif isinstance(obj, CaseMessage):
            history = (so.attributes.get_history(obj, n) for n in ("body", "internal", "case_id"))
            if obj in session.new or obj in session.deleted or any(h.has_changes() for h in history):
                pending["ids"].add(obj.case_id)
                pending["ids"].update(v for v in so.attributes.get_history(obj, "case_id").deleted if v)


def _refresh_pending(session: so.Session) -> None:
    session.flush()  # what is not flushed yet passes through _collect now
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    ids = {obj.id for obj in pending["cases"] if obj.id is not None} | {i for i in pending["ids"] if i}
    if pending["people"]:  # a renamed requester: their cases carry the name
        ids.update(session.scalars(sa.select(Case.id).where(Case.requester_id.in_(pending["people"]))))
    if ids:
        reindex(session.connection(), ids)


Document = tuple[int, int, str, str, str]  # requester_id, area_id, title, body, people
_DOCUMENT = ("requester_id", "area_id", "title", "body", "people")


def documents(conn: sa.Connection, case_ids: Iterable[int]) -> dict[tuple[int, str], Document]:
    """What the documents of these cases must hold: (case_id, kind) → Document."""
    wanted: dict[tuple[int, str], Document] = {}
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        heads = conn.execute(
            sa.select(
                Case.id, Case.requester_id, Case.area_id, Case.subject, Case.description, Case.solution, User.full_name
            )
            .join(User, User.id == Case.requester_id)
            .where(Case.id.in_(chunk))
        ).all()
        said: dict[tuple[int, bool], list[str]] = {}
        for case_id, body, internal in conn.execute(
            sa.select(CaseMessage.case_id, CaseMessage.body, CaseMessage.internal)
            .where(CaseMessage.case_id.in_(chunk))
            .order_by(CaseMessage.case_id, CaseMessage.created_at, CaseMessage.id)
        ):
            said.setdefault((case_id, bool(internal)), []).append(body)
        for case_id, requester_id, area_id, subject, description, solution, name in heads:
            public = [description, *said.get((case_id, False), []), *([solution] if solution else [])]
            wanted[(case_id, CASE_DOC)] = (requester_id, area_id, subject, "\n\n".join(public), name)
            if notes := said.get((case_id, True)):
                wanted[(case_id, NOTE_DOC)] = (requester_id, area_id, subject, "\n\n".join(notes), name)
    return wanted


def reindex(conn: sa.Connection, case_ids: Iterable[int]) -> None:
    """Make the documents of these cases what their text says now (only the rows that differ are written)."""
    ids = sorted(set(case_ids))
    docs = SearchDoc.__table__
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        wanted = documents(conn, chunk)
        have = {
            (row.case_id, row.kind): row
            for row in conn.execute(
                sa.select(docs.c.id, docs.c.case_id, docs.c.kind, *(docs.c[name] for name in _DOCUMENT)).where(
                    docs.c.case_id.in_(chunk)
                )
            )
        }
        stale = [row.id for key, row in have.items() if key not in wanted]
        if stale:
            conn.execute(sa.delete(docs).where(docs.c.id.in_(stale)))
        now = sa.func.current_timestamp()
        for (case_id, kind), document in wanted.items():
            row = have.get((case_id, kind))
            values = dict(zip(_DOCUMENT, document, strict=True))
            if row is None:
                conn.execute(sa.insert(docs).values(case_id=case_id, kind=kind, updated_at=now, **values))
            elif tuple(getattr(row, name) for name in _DOCUMENT) != document:
                conn.execute(sa.update(docs).where(docs.c.id == row.id).values(updated_at=now, **values))


def rebuild(conn: sa.Connection) -> int:
    """Every case's documents from scratch (a migration, a bench's generated desk); returns how many cases."""
    ids = conn.execute(sa.select(Case.id).order_by(Case.id)).scalars().all()
    for start in range(0, len(ids), 5000):
        reindex(conn, ids[start : start + 5000])
    return len(ids)


# ---------------------------------------------------------------- the query


# Words too common to search by ("¿Cómo cambiar el tóner?" is about "cambiar" and "toner"); PostgreSQL's
# Spanish configuration drops its own list, this one makes SQLite agree.
_STOPWORDS_TEXT = """
a al algo como con cual cuando de del donde el en es esta este hay la las le lo los me mi mis muy no nos o para
pero por que se sin su sus un una uno y ya yo tengo tiene hace favor buenas buenos dias tardes ayuda necesito
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def terms(text: str, *, plain: bool = False) -> list[str]:
    """The words of a search, folded (no accents, no capitals), the common ones left out (unless there
    is nothing else), at most MAX_TERMS; `plain`: all the meaningful ones, the caller cuts."""
    words = [fold(w) for w in _WORD.findall(text or "")]
    meaningful = [w for w in words if w not in STOPWORDS]
    chosen = meaningful or words
    return chosen if plain else chosen[:MAX_TERMS]


def fold(text: str) -> str:
    """Lower case without accents: "Impresión" → "impresion" (the index's own folding)."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def light_stem(word: str) -> str:
    """Spanish plural endings off, for a prefix match: impresoras → impresora, redes → red."""
    if len(word) > 4 and word.endswith("es") and word[-3] not in "aeiou":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and word[-2] != "s":
        return word[:-1]
    return word


def postgres_words(words: list[str], *, any_word: bool = False) -> str:
    """The words for PostgreSQL's Spanish stemmer, plurals taken off first: its stemmer reads "toneres" as
    "toner" but "toner" as "ton", so a plural typed would miss the singular written."""
    return (" or " if any_word else " ").join(light_stem(w) for w in words)


def fts5_query(words: list[str], *, any_word: bool = False) -> str:
    """An FTS5 query: each word as a prefix of its light stem, a number as itself ("100" never finds
    "1000"); every word (AND) or, for suggestions, any of them (OR)."""
    parts = (f'"{w}"' if any(c.isdigit() for c in w) else f'"{light_stem(w)}"*' for w in words)
    return (" OR " if any_word else " AND ").join(parts)


@dataclass(frozen=True)
class Scope:
    """Whose documents a search may reach: one requester's cases, or the staff's (areas; notes)."""

    requester_id: int | None = None
    area_ids: tuple[int, ...] | None = None  # None: every area
    notes: bool = False


def scope_for(actor: Searcher, *, own: bool) -> Scope:
    """`own`: the actor's own cases as their requester (Verificar); else what the actor's role reaches."""
    if own:
        return Scope(requester_id=actor.id)
    if actor.role == Role.ADVISOR:
        return Scope(area_ids=tuple(actor.area_ids) or (-1,), notes=True)
    if actor.role in (Role.MANAGER, Role.ADMIN):
        return Scope(notes=True)
    return Scope(requester_id=actor.id)  # anyone else: their own cases, never the notes


def _rights(docs: sa.Table, scope: Scope) -> list[sa.ColumnElement[bool]]:
    where = [docs.c.kind.in_((CASE_DOC, NOTE_DOC) if scope.notes else (CASE_DOC,))]
    if scope.requester_id is not None:
        where.append(docs.c.requester_id == scope.requester_id)
    if scope.area_ids is not None:
        where.append(docs.c.area_id.in_(scope.area_ids))
    return where


def _exact(docs: sa.Table, dialect: str, text: str) -> sa.ColumnElement:
    folded = fold(text)
    if dialect == "sqlite":
        title = sa.func.mesa_fold(docs.c.title)
    else:
        title = sa.func.lower(sa.func.mesa_unaccent(docs.c.title))
        title = sa.func.regexp_replace(sa.func.btrim(title), r"\s+", " ", "g")
    return sa.case((title == folded, 1), else_=0)


@dataclass(frozen=True)
class _Match:
    """One database's way to match the words: the documents joined to their index, the test, the rank
    (lower is better) and the piece of the body around the words."""

    source: sa.FromClause
    test: sa.ColumnElement[bool]
    rank: sa.ColumnElement
    piece: sa.ColumnElement


def _match(dialect: str, words: list[str]) -> _Match:
    docs = SearchDoc.__table__
    if dialect == "sqlite":
        fts, index = sa.literal_column("search_fts"), sa.table("search_fts", sa.column("rowid"))
        return _Match(
            source=index.join(docs, docs.c.id == index.c.rowid),
            test=fts.op("MATCH")(fts5_query(words)),
            rank=sa.func.bm25(fts, 10.0, 1.0, 2.0),  # title, body, people; negative, lower is better
            piece=sa.func.snippet(fts, 1, SNIPPET_START, SNIPPET_END, "…", 14),
        )
    spanish, tsv = sa.literal_column("'spanish'::regconfig"), sa.literal_column("search_docs.tsv")
    query = sa.func.plainto_tsquery(spanish, sa.func.mesa_unaccent(postgres_words(words)))
    options = f"StartSel={SNIPPET_START}, StopSel={SNIPPET_END}, MaxWords=18, MinWords=8, MaxFragments=1"
    return _Match(
        source=docs,
        test=tsv.op("@@")(query),
        rank=-sa.func.ts_rank(tsv, query),
        piece=sa.func.ts_headline(spanish, docs.c.body, query, options),
    )


def matches(session: so.Session, text: str, scope: Scope):
    """The cases whose documents hold every word of `text` within `scope`, as a subquery of
    (case_id, score): lower scores first. None when `text` has no words."""
    words = terms(text)
    if not words:
        return None
    docs, dialect = SearchDoc.__table__, session.get_bind().dialect.name
    match = _match(dialect, words)
    score = (match.rank - _exact(docs, dialect, text) * 1e6).label("score")
    # LIMIT -1 (none): the grouping below may not flatten this query, bm25() runs only where MATCH does.
    inner = (
        sa.select(docs.c.case_id, score)
        .select_from(match.source)
        .where(match.test, *_rights(docs, scope))
        .limit(-1 if dialect == "sqlite" else None)
        .subquery()
    )
    return sa.select(inner.c.case_id, sa.func.min(inner.c.score).label("score")).group_by(inner.c.case_id).subquery()


def snippets(session: so.Session, text: str, scope: Scope, case_ids: Iterable[int]) -> dict[int, str]:
    """A short piece of each case's matching text, its matched words between SNIPPET_START and
    SNIPPET_END: from the description and conversation, or (staff only) the notes, never beyond `scope`."""
    words, ids = terms(text), list(case_ids)
    if not words or not ids:
        return {}
    docs = SearchDoc.__table__
    match = _match(session.get_bind().dialect.name, words)
    query = (
        sa.select(docs.c.case_id, match.piece)
        .select_from(match.source)
        .where(match.test, docs.c.case_id.in_(ids), *_rights(docs, scope))
        .order_by(docs.c.case_id, docs.c.kind)  # the conversation's piece ("case") before the notes'
    )
    found: dict[int, str] = {}
    for case_id, piece in session.execute(query):
        if SNIPPET_START in (piece or "") and case_id not in found:  # a piece with the words in it
            found[case_id] = " ".join(piece.split())
    return found


# ---------------------------------------------------------------- checking


def index_problems(conn: sa.Connection) -> list[str]:
    """What differs between the cases' text and the search (empty when they agree): documents missing,
    extra or stale, and a word index that is not the documents' (FTS5 integrity-check; the stored tsvector
    recomputed)."""
    docs = SearchDoc.__table__
    wanted = documents(conn, conn.execute(sa.select(Case.id)).scalars())
    have = {
        (row[0], row[1]): tuple(row[2:])
        for row in conn.execute(sa.select(docs.c.case_id, docs.c.kind, *(docs.c[name] for name in _DOCUMENT)))
    }
    problems = [f"missing {key}" for key in wanted.keys() - have.keys()]
    problems += [f"extra {key}" for key in have.keys() - wanted.keys()]
    problems += [f"stale {key}" for key in wanted.keys() & have.keys() if wanted[key] != have[key]]
    if conn.dialect.name == "sqlite":
        for index in ("search_fts", "kb_fts"):  # the cases' and the articles' (services/knowledge.py)
            try:
                conn.exec_driver_sql(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)")
            except sa.exc.DatabaseError as exc:
                problems.append(f"word index {index}: {exc.orig}")
    else:
        differing = conn.exec_driver_sql(
            "SELECT count(*) FROM search_docs WHERE tsv IS DISTINCT FROM ("
            "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(title)), 'A') || "
            "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(body)), 'B') || "
            "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(people)), 'C'))"
        ).scalar()
        if differing:
            problems.append(f"word index: {differing} documents")
    return problems

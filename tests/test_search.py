"""Issue 19's full-text search, on the database the suite runs on (SQLite FTS5 or PostgreSQL tsvector):
accents and plurals, rights inside the query (snippets included), the ranking, and the index following
every change of the text in the same transaction."""

import sqlalchemy as sa

from models import Case, Counter, SearchDoc
from services import cases, inbox, search, surveys, users, workflow
from services.cases import Uploads
from services.db import unit_of_work
from services.i18n import t
from services.storage import Storage
from tests.conftest import make_user, register_case, resolve_case

GT, SG = "Gestión Tecnológica", "Servicios Generales"


def _people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "carlos.gomez", full_name="Carlos Gómez")
    make_user(desk, "laura.rios", "advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "jorge.diaz", "advisor", areas=[SG], full_name="Jorge Díaz")
    make_user(desk, "marta.luna", "manager", full_name="Marta Luna")


def _actor(session, username):
    return users.load_actor(session=session, username=username)


def mine(desk, username, words):
    """Verificar mis Casos' search: (numbers in order, snippets by number)."""
    with unit_of_work(desk, write=False) as session:
        page = cases.list_my_cases(session=session, actor=_actor(session, username), include_closed=True, search=words)
    return [r.number for r in page.rows], {r.number: r.snippet for r in page.rows}


def queue(desk, username, words):
    """The Bandeja's search box, over every status: (numbers in order, snippets by number)."""
    filters = inbox.InboxFilters(text=words, statuses=())
    with unit_of_work(desk, write=False) as session:
        page = inbox.list_inbox(session=session, actor=_actor(session, username), filters=filters)
    return [r.number for r in page.rows], {r.number: r.snippet for r in page.rows}


def _message(desk, tmp_path, username, number, body, *, internal=False):
    with unit_of_work(desk) as session:
        cases.post_message(
            session=session,
            actor=_actor(session, username),
            uploads=Uploads(Storage(tmp_path / "files"), 5),
            number=number,
            body=body,
            internal=internal,
        )


def _problems(desk):
    with unit_of_work(desk, write=False) as session:
        return search.index_problems(session.connection())


def test_accents_and_capitals_are_ignored_both_ways(desk, tmp_path):
    _people(desk)
    one = register_case(desk, tmp_path, subject="Impresión borrosa", description="Sale gris.")
    two = register_case(desk, tmp_path, subject="Pantalla", description="La opcion de brillo no aparece.")
    assert mine(desk, "ana.perez", "IMPRESION")[0] == [one]
    assert mine(desk, "ana.perez", "impresión")[0] == [one]
    assert mine(desk, "ana.perez", "OPCIÓN brillo")[0] == [two]


def test_a_plural_finds_the_singular_and_the_singular_the_plural(desk, tmp_path):
    _people(desk)
    singular = register_case(desk, tmp_path, subject="Piso 3", description="La impresora no prende.")
    plural = register_case(desk, tmp_path, subject="Piso 4", description="Las dos impresoras están apagadas.")
    assert sorted(mine(desk, "ana.perez", "impresora")[0]) == [singular, plural]
    assert sorted(mine(desk, "ana.perez", "impresoras")[0]) == [singular, plural]
    assert sorted(queue(desk, "laura.rios", "Impresoras")[0]) == [singular, plural]


def test_the_conversation_and_the_solution_are_searched(desk, tmp_path):
    _people(desk)
    number = register_case(desk, tmp_path, subject="Equipo lento", description="Tarda mucho.")
    _message(desk, tmp_path, "ana.perez", number, "Ahora también se reinicia solo.")
    resolve_case(desk, number, solution="Se reemplazó el disco duro.")
    assert mine(desk, "ana.perez", "reinicia")[0] == [number]
    assert mine(desk, "ana.perez", "disco")[0] == [number]
    assert queue(desk, "laura.rios", "disco duro")[0] == [number]


def test_an_employee_never_finds_another_persons_case(desk, tmp_path):
    _people(desk)
    register_case(desk, tmp_path, username="ana.perez", subject="Monitor parpadea", description="Parpadeo.")
    assert mine(desk, "carlos.gomez", "monitor") == ([], {})
    assert mine(desk, "carlos.gomez", "parpadea") == ([], {})


def test_an_internal_note_is_found_by_staff_only_and_never_shows_in_a_requesters_snippet(desk, tmp_path):
    _people(desk)
    number = register_case(desk, tmp_path, subject="Acceso al ERP", description="Necesito acceso al módulo.")
    _message(desk, tmp_path, "laura.rios", number, "El jefe no aprobó el presupuesto del módulo.", internal=True)
    # The note's own word: the requester finds nothing; the staff of the area, the note's snippet.
    assert mine(desk, "ana.perez", "presupuesto") == ([], {})
    numbers, snippets = queue(desk, "laura.rios", "presupuesto")
    assert numbers == [number]
    assert f"{search.SNIPPET_START}presupuesto{search.SNIPPET_END}" in snippets[number]
    # A word in both: the requester's snippet is from what they may read, never the note.
    numbers, snippets = mine(desk, "ana.perez", "módulo")
    assert numbers == [number] and "presupuesto" not in snippets[number] and "Necesito" in snippets[number]


def test_staff_find_the_cases_of_their_areas_and_managers_every_area(desk, tmp_path):
    _people(desk)
    technology = register_case(desk, tmp_path, subject="Silla rota en sistemas", description="La silla cojea.")
    general = register_case(
        desk, tmp_path, option="Mobiliario", subject="Silla rota en recepción", description="La silla cojea."
    )
    assert queue(desk, "laura.rios", "silla")[0] == [technology]
    assert queue(desk, "jorge.diaz", "silla")[0] == [general]
    assert sorted(queue(desk, "marta.luna", "silla")[0]) == [technology, general]


def test_the_requesters_name_and_the_words_of_the_case_together(desk, tmp_path):
    _people(desk)
    anas = register_case(desk, tmp_path, username="ana.perez", subject="Impresora atascada")
    register_case(desk, tmp_path, username="carlos.gomez", subject="Impresora atascada")
    assert queue(desk, "laura.rios", "pérez impresora")[0] == [anas]
    assert queue(desk, "laura.rios", "perez")[0] == [anas]


def test_an_exact_subject_comes_first(desk, tmp_path):
    _people(desk)
    for subject in ("Cambio de teclado y ratón", "Ratón", "El teclado del portátil falla"):
        register_case(desk, tmp_path, subject=subject, description="teclado teclado teclado, sin teclado.")
    exact = register_case(desk, tmp_path, subject="Teclado", description="No escribe.")
    numbers, _ = mine(desk, "ana.perez", "teclado")
    assert numbers[0] == exact and len(numbers) == 4
    assert queue(desk, "laura.rios", "TECLADO")[0][0] == exact


def test_signs_and_empty_words_find_nothing_instead_of_failing(desk, tmp_path):
    _people(desk)
    register_case(desk, tmp_path, subject="Oficina 20", description="Sin luz.")
    for typed in ('"', "*", "NEAR(", "-", "a OR b", "'; DROP TABLE cases; --", "²", "¿?"):
        assert mine(desk, "ana.perez", typed)[0] == [], typed
        assert queue(desk, "laura.rios", typed)[0] == [], typed
    assert mine(desk, "ana.perez", "20")[0] == [1]  # a number is also a case number: #20 does not exist


def test_the_index_follows_each_change_of_the_text_in_the_same_transaction(desk, tmp_path):
    _people(desk)
    number = register_case(desk, tmp_path, subject="Cafetera dañada", description="No calienta.")
    assert _problems(desk) == []
    _message(desk, tmp_path, "ana.perez", number, "Huele a quemado.")
    _message(desk, tmp_path, "laura.rios", number, "Revisar garantía.", internal=True)
    assert _problems(desk) == [] and mine(desk, "ana.perez", "quemado")[0] == [number]
    # Another area: the advisors of the old one stop finding it, the new one's start.
    with unit_of_work(desk) as session:
        admin = _actor(session, "admin.mesa")
        option = session.scalar(sa.text("SELECT id FROM service_options WHERE name = 'Cafetería'"))
        workflow.reclassify(
            session=session,
            actor=admin,
            number=number,
            urgency="medium",
            option_id=option,
            reason="Es de cafetería",
            expected_version=None,
        )
    assert _problems(desk) == []
    assert queue(desk, "laura.rios", "cafetera")[0] == []
    assert queue(desk, "jorge.diaz", "garantía")[0] == [number]
    # The requester's new name.
    with unit_of_work(desk) as session:
        users.update_profile(
            session=session,
            actor=_actor(session, "ana.perez"),
            full_name="Ana Pérez Sosa",
            email="ana.perez@example.org",
        )
    assert _problems(desk) == [] and queue(desk, "jorge.diaz", "sosa")[0] == [number]


def test_a_rolled_back_change_leaves_the_index_as_it_was(desk, tmp_path):
    _people(desk)
    number = register_case(desk, tmp_path, subject="Aire acondicionado", description="Gotea.")
    try:
        with unit_of_work(desk) as session:
            cases.post_message(
                session=session,
                actor=_actor(session, "ana.perez"),
                uploads=Uploads(Storage(tmp_path / "files"), 5),
                number=number,
                body="Ahora hace ruido.",
            )
            session.flush()
            raise RuntimeError("the unit of work fails after the message")
    except RuntimeError:
        pass
    assert _problems(desk) == [] and mine(desk, "ana.perez", "ruido")[0] == []


def test_rebuild_writes_the_documents_of_cases_that_had_none(desk, tmp_path):
    _people(desk)
    for subject in ("Uno", "Dos", "Tres"):
        register_case(desk, tmp_path, subject=f"Caso {subject}", description="Texto.")
    with desk.begin() as conn:
        conn.execute(sa.delete(SearchDoc.__table__))
    assert len(_problems(desk)) == 3
    with desk.begin() as conn:
        assert search.rebuild(conn) == 3
    assert _problems(desk) == [] and len(mine(desk, "ana.perez", "caso")[0]) == 3


def test_verificar_and_the_bandeja_show_where_the_words_are(desk, tmp_path):
    """The pages: the piece of text with the words in bold (Verificar), a column of it (the Bandeja's
    table); a requester's Markdown in that text stays text."""
    from tests.conftest import logged_in_app

    _people(desk)
    number = register_case(
        desk, tmp_path, subject="Equipo nuevo", description="El [portátil](javascript:alert(1)) no tiene *cargador*."
    )
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/verificar.py").run()
    at.text_input(key="ver_search").input("cargadores").run()
    assert [e.label for e in at.expander] == [f"**#{number}** · Equipo nuevo · Asignado · Medio"]  # auto-assigned
    shown = [c.value for c in at.caption if "cargador" in c.value]
    # The piece around the word (each database cuts its own), the word in bold, the rest inert.
    assert len(shown) == 1 and "**cargador**" in shown[0], shown
    assert "portátil\\]\\(javascript\\:alert\\(1\\)\\)" in shown[0], shown

    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()
    at.text_input(key="inbox_text").input("portátil").run()
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["Número", "Asunto", "Dónde aparece"], list(table.columns)
    assert "portátil](javascript:alert(1)) no tiene *cargador" in table["Dónde aparece"].iloc[0]


# ---------------------------------------------------------------- at scale: the newest cases of a window, rights in the index


def _copies(desk, tmp_path, count, *, username="ana.perez", subject="Impresora atascada", description="No imprime."):
    """A registered case and `count` copies of it after it, written in bulk (as bench/generate.py does:
    the rows, then their documents); the copies' numbers, oldest first."""
    table = Case.__table__
    first = register_case(desk, tmp_path, username=username, subject=subject, description=description)
    with desk.begin() as conn:
        row = dict(conn.execute(sa.select(table).where(table.c.number == first)).mappings().one())
        del row["id"]
        row["request_token"] = None
        numbers = [first + i for i in range(1, count + 1)]
        conn.execute(sa.insert(table), [{**row, "number": n} for n in numbers])
        conn.execute(sa.update(Counter).where(Counter.name == "case_number").values(value=numbers[-1]))
        search.reindex(conn, conn.scalars(sa.select(table.c.id).where(table.c.number.in_(numbers))))
    return numbers


def _page(desk, username, words, *, page=1, own=True, window=None):
    with unit_of_work(desk, write=False) as session:
        actor = _actor(session, username)
        if own:
            return cases.list_my_cases(
                session=session, actor=actor, include_closed=True, search=words, page=page, page_size=100, window=window
            )
        filters = inbox.InboxFilters(text=words, statuses=(), window=window)
        return inbox.list_inbox(session=session, actor=actor, filters=filters, page=page, page_size=100)


def test_the_windows_a_search_ranks():
    first, *_, widest = search.WINDOWS
    assert list(search.WINDOWS) == sorted(set(search.WINDOWS)) and widest == search.CAP
    assert search.window_for(None) == search.window_for(0) == first
    assert [search.window_for(w) for w in search.WINDOWS] == list(search.WINDOWS)
    assert search.window_for(first + 1) == search.WINDOWS[1] and search.window_for(10**9) == widest
    assert [search.wider(w) for w in search.WINDOWS] == [*search.WINDOWS[1:], None]


def test_past_the_window_the_newest_cases_are_ranked_and_an_older_exact_subject_still_comes_first(desk, tmp_path):
    _people(desk)
    exact = register_case(desk, tmp_path, subject="Impresora", description="La impresora hace ruido.")
    copies = _copies(desk, tmp_path, search.CAP + 100, description="La impresora no imprime.")
    for username, own in (("laura.rios", False), ("marta.luna", False), ("ana.perez", True)):
        for window in (None, *search.WINDOWS):  # None: as a search starts, the first window
            first = _page(desk, username, "IMPRESORA", own=own, window=window)
            ranked = search.window_for(window)
            # The newest `ranked` of the CAP + 101 cases with the word, and the old one whose subject is the word;
            # a wider window to ask for while there is one.
            assert first.more and first.total == ranked + 1 and first.window == ranked, (username, window)
            assert first.wider == search.wider(ranked), (username, window)
            assert first.rows[0].number == exact, (username, window)
            # Each row's piece of text with the word, the old exact subject's (past the walk) as the newest's.
            marked = f"{search.SNIPPET_START}impresora{search.SNIPPET_END}"
            assert all(marked in r.snippet.lower() for r in first.rows), (username, window)
            assert "ruido" in first.rows[0].snippet and "imprime" in first.rows[1].snippet, (username, window)
            shown = [
                r.number
                for page in range(1, first.pages + 1)
                for r in _page(desk, username, "IMPRESORA", own=own, page=page, window=window).rows
            ]
            assert sorted(shown) == [exact, *copies[-ranked:]], (username, window)
        # A page past the last (the list shrank since it was asked): the last page, not an empty one.
        past = _page(desk, username, "IMPRESORA", own=own, page=first.pages + 3, window=window)
        assert (past.page, past.total) == (first.pages, first.total), username
        assert [r.number for r in past.rows] == shown[-len(past.rows) :], username
    # Equal texts: Verificar's own order after the rank, the newest activity first.
    assert [r.number for r in first.rows[1:4]] == copies[-1:-4:-1]
    # A plural typed finds the same cases; it is not the old case's exact subject.
    plural = _page(desk, "ana.perez", "impresoras")
    assert plural.more and plural.total == search.WINDOWS[0] and plural.rows[0].number == copies[-1]
    # A narrower search is under the cap: counted exactly, nothing left out.
    register_case(desk, tmp_path, subject="Impresora sin tóner", description="Sale en blanco.")
    narrow = _page(desk, "ana.perez", "impresora toner")
    assert not narrow.more and narrow.total == 1
    assert not _page(desk, "ana.perez", "ruido").more


def test_past_the_window_rights_stay_inside_the_search(desk, tmp_path):
    _people(desk)
    anas = register_case(desk, tmp_path, subject="Monitor", description="La impresora del piso no imprime.")
    _message(desk, tmp_path, "laura.rios", anas, "La impresora de Ana espera repuesto de presupuesto.", internal=True)
    carlos = _copies(desk, tmp_path, search.WINDOWS[0] + 5, username="carlos.gomez", description="Impresora sin papel.")
    # Ana: her one case, its snippet from what she may read, never the note.
    page = _page(desk, "ana.perez", "impresora")
    assert [r.number for r in page.rows] == [anas] and page.total == 1 and not page.more
    assert "presupuesto" not in page.rows[0].snippet and "piso" in page.rows[0].snippet
    assert _page(desk, "ana.perez", "presupuesto").rows == ()
    # Carlos: his newest, none of Ana's.
    page = _page(desk, "carlos.gomez", "impresora")
    assert page.more and page.total == search.WINDOWS[0] and anas not in {r.number for r in page.rows}
    assert page.rows[0].number == carlos[-1]
    # The advisor of another area finds nothing of either; the note is found by staff only.
    assert _page(desk, "jorge.diaz", "impresora", own=False).rows == ()
    assert [r.number for r in _page(desk, "laura.rios", "presupuesto", own=False).rows] == [anas]


def test_words_shaped_like_the_scope_words_reach_only_the_text(desk, tmp_path):
    """The scope's words (r<requester> a<area> k<kind>, the subject's key) are written by the desk in a
    column the typed words never search: typing them finds only cases whose text has that word."""
    _people(desk)
    anas = register_case(desk, tmp_path, subject="Teclado", description="Falla la tecla r999 y la a999.")
    _message(desk, tmp_path, "laura.rios", anas, "Pedir teclado nuevo.", internal=True)
    with unit_of_work(desk, write=False) as session:
        ana, carlos = _actor(session, "ana.perez"), _actor(session, "carlos.gomez")
        gt = session.scalar(sa.text("SELECT id FROM areas WHERE name = :n"), {"n": GT})
    scope_shaped = [
        f"r{ana.id}",
        f"r{carlos.id}",
        f"a{gt}",
        "kcase",
        "knote",
        search.subject_key("Teclado"),
        f"scope r{ana.id}",
        f'scope : "r{ana.id}"',
        f"{{scope}}: r{ana.id}",
    ]
    for typed in scope_shaped:
        assert mine(desk, "carlos.gomez", typed) == ([], {}), typed
        assert queue(desk, "jorge.diaz", typed) == ([], {}), typed
        assert mine(desk, "ana.perez", typed)[0] == [], typed  # her documents have them only as scope words
    # The same shapes in the text itself are words like any other, for whoever may read the case.
    assert mine(desk, "ana.perez", "r999")[0] == [anas] and mine(desk, "ana.perez", "A999")[0] == [anas]
    assert mine(desk, "carlos.gomez", "r999") == ([], {})
    assert queue(desk, "laura.rios", "r999")[0] == [anas] and queue(desk, "jorge.diaz", "r999") == ([], {})


def test_an_existing_desk_upgraded_to_0013_gets_its_scope_words_and_a_new_index(desk, tmp_path):
    from alembic import command

    from services.migrate import alembic_config, upgrade

    _people(desk)
    anas = register_case(desk, tmp_path, subject="Proyector", description="No enciende el proyector.")
    _message(desk, tmp_path, "laura.rios", anas, "Revisar la lámpara del proyector.", internal=True)
    carlos = register_case(desk, tmp_path, username="carlos.gomez", subject="Proyector", description="Sin imagen.")
    config = alembic_config()
    with desk.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    with desk.connect() as conn:
        assert "scope" not in {c["name"] for c in sa.inspect(conn).get_columns("search_docs")}
    upgrade(desk)
    assert _problems(desk) == []
    assert mine(desk, "ana.perez", "proyector")[0] == [anas]
    assert mine(desk, "carlos.gomez", "proyectores")[0] == [carlos]
    assert mine(desk, "ana.perez", "lámpara")[0] == [] and queue(desk, "laura.rios", "lampara")[0] == [anas]
    assert queue(desk, "jorge.diaz", "proyector")[0] == []


def _open_view(desk, username, words, **filters):
    """The Bandeja's search as it opens: the open cases (or a key figure); the Page."""
    with unit_of_work(desk, write=False) as session:
        actor = _actor(session, username)
        return inbox.list_inbox(session=session, actor=actor, filters=inbox.InboxFilters(text=words, **filters))


def test_the_bandejas_open_view_finds_an_open_case_older_than_the_newest_matching_ones(desk, tmp_path):
    _people(desk)
    waiting = register_case(desk, tmp_path, subject="Impresora del piso 3", description="Mancha las hojas.")
    _copies(desk, tmp_path, search.CAP + 10)  # newer, with the word, all of them closed since
    with desk.begin() as conn:
        table = Case.__table__
        conn.execute(sa.update(table).where(table.c.number != waiting).values(status="closed"))
        search.reindex(conn, conn.scalars(sa.select(table.c.id).where(table.c.number != waiting)))
    assert _problems(desk) == []
    for username in ("laura.rios", "marta.luna"):
        page = _open_view(desk, username, "impresora")  # the open statuses: the Bandeja's default
        assert [r.number for r in page.rows] == [waiting] and page.total == 1 and not page.more, username
        # Every status: only the newest matching cases are ranked, even in the widest window, and the page says so.
        every = _open_view(desk, username, "impresora", statuses=(), window=search.CAP)
        assert every.more and every.wider is None and waiting not in [r.number for r in every.rows], username
    mine = _open_view(desk, "laura.rios", "impresora", quick="mine_open")  # a key figure: open cases too
    assert [r.number for r in mine.rows] == [waiting] and not mine.more
    assert _open_view(desk, "jorge.diaz", "impresora").rows == ()  # not his area, open or not


def test_a_case_leaves_the_open_search_when_resolved_and_comes_back_when_reopened(desk, tmp_path):
    _people(desk)
    number = register_case(desk, tmp_path, subject="Monitor parpadea", description="Se apaga solo.")
    assert [r.number for r in _open_view(desk, "laura.rios", "parpadea").rows] == [number]
    resolve_case(desk, number)
    assert _problems(desk) == [] and _open_view(desk, "laura.rios", "parpadea").rows == ()
    assert queue(desk, "laura.rios", "parpadea")[0] == [number]  # every status: still found
    with unit_of_work(desk) as session:  # the survey's No: reopened
        surveys.answer(
            session=session,
            actor=_actor(session, "ana.perez"),
            number=number,
            round=1,
            resolved=False,
            comment="Sigue igual.",
        )
    assert _problems(desk) == [] and [r.number for r in _open_view(desk, "laura.rios", "parpadea").rows] == [number]


def test_an_existing_desk_upgraded_to_0015_marks_the_documents_of_its_open_cases(desk, tmp_path):
    from alembic import command

    from services.migrate import alembic_config, upgrade

    _people(desk)
    still_open = register_case(desk, tmp_path, subject="Teclado", description="Faltan teclas.")
    done = register_case(desk, tmp_path, subject="Teclado", description="Derramé café.")
    resolve_case(desk, done)
    config = alembic_config()
    with desk.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
    assert len(_problems(desk)) == 1  # the open case's document, without its scope word
    upgrade(desk)
    assert _problems(desk) == []
    assert [r.number for r in _open_view(desk, "laura.rios", "teclado").rows] == [still_open]
    assert sorted(queue(desk, "laura.rios", "teclado")[0]) == [still_open, done]


def _more(window: int) -> str:
    return t("search.more", window=f"{window:,}".replace(",", "."))


def _widen(window: int) -> str:
    return t("search.wider", count=f"{window:,}".replace(",", "."))


def test_verificar_says_when_only_the_newest_cases_were_searched_and_widens_on_request(desk, tmp_path):
    from tests.conftest import logged_in_app

    _people(desk)
    _copies(desk, tmp_path, search.CAP)  # 1,001 cases with the word
    first, widest = search.WINDOWS[0], search.CAP
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/verificar.py").run()
    at.text_input(key="ver_search").input("atascada").run()
    assert [i.value for i in at.info] == [_more(first)] and "Más de 200 casos" in _more(first)
    assert any(c.value == t("verify.count", total=first) for c in at.caption)
    assert at.button(key="ver_window_wider").label == _widen(widest) == "Buscar entre los 1.000 más recientes"
    at.button(key="ver_window_wider").click().run()
    assert [i.value for i in at.info] == [_more(widest)] and "Más de 1.000 casos" in _more(widest)
    assert any(c.value == t("verify.count", total=widest) for c in at.caption)
    assert not [b for b in at.button if b.key == "ver_window_wider"]  # nothing wider to ask for
    # Other words: the first window again; words that match fewer: nothing left out, nothing to widen.
    at.text_input(key="ver_search").input("impresora").run()
    assert [i.value for i in at.info] == [_more(first)]
    at.text_input(key="ver_search").input("atascada ruido").run()
    assert [i.value for i in at.info] == [t("verify.none_found")]
    assert not [b for b in at.button if b.key == "ver_window_wider"]


def test_the_bandeja_says_when_only_the_newest_cases_were_searched_and_widens_on_request(desk, tmp_path):
    from tests.conftest import logged_in_app, whole_page

    _people(desk)
    _copies(desk, tmp_path, search.CAP)
    first, widest = search.WINDOWS[0], search.CAP
    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()
    at.multiselect(key="inbox_statuses").set_value([]).run()  # every status: the copies are open, but to be sure
    whole_page(at)
    at.text_input(key="inbox_text").input("atascada").run()
    assert _more(first) in [i.value for i in at.info]
    assert at.button(key="inbox_window_wider").label == _widen(widest)
    assert t("inbox.count_found", total=first) == "200 casos, los que mejor coinciden primero"
    assert any(c.value == t("inbox.count_found", total=first) for c in at.caption)
    at.button(key="inbox_window_wider").click().run()  # reruns the results alone
    assert _more(widest) in [i.value for i in at.info] and _more(first) not in [i.value for i in at.info]
    assert any(c.value == t("inbox.count_found", total=widest) for c in at.caption)
    assert not [b for b in at.button if b.key == "inbox_window_wider"]
    whole_page(at)  # the search reran the results alone
    at.text_input(key="inbox_text").input("atascada ruido").run()
    assert not [i for i in at.info if i.value in (_more(first), _more(widest))]
    whole_page(at)
    at.text_input(key="inbox_text").input("atascada").run()  # a new search: its first window again
    assert _more(first) in [i.value for i in at.info]
    whole_page(at)
    at.text_input(key="inbox_text").input("").run()  # no words: the list by due time, nothing left out
    assert any(c.value == t("inbox.count", total=widest + 1) for c in at.caption)
    assert not [i for i in at.info if i.value in (_more(first), _more(widest))]

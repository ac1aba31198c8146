"""The knowledge base (services/knowledge.py) on the database the suite runs on: who reads and writes
articles, drafts and published versions, the search, "¿Le sirvió?", the suggestions while a case is
registered, the predefined replies of each area, and what Informes → Conocimiento counts."""

import pytest
import sqlalchemy as sa

from models import Area, ServiceOption
from models.knowledge import DRAFT, INTERNAL, PUBLIC, PUBLISHED
from services import clock, knowledge, search, users
from services.db import unit_of_work
from services.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed
from tests.conftest import make_user, register_case, resolve_case

GT, SG = "Gestión Tecnológica", "Servicios Generales"


@pytest.fixture
def kb(desk):
    """The desk with a requester of each kind of right on the base."""
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "carlos.gomez", full_name="Carlos Gómez")
    make_user(desk, "laura.rios", "advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "jorge.diaz", "advisor", areas=[SG], full_name="Jorge Díaz")
    make_user(desk, "marta.luna", "manager", full_name="Marta Luna")
    return desk


def act(engine, username, service, **kwargs):
    """`service` called by `username` in one unit of work, as a page does it."""
    with unit_of_work(engine) as session:
        return service(session=session, actor=users.load_actor(session=session, username=username), **kwargs)


def write(engine, title, body, *, by="laura.rios", article_id=None, **kwargs) -> int:
    return act(engine, by, knowledge.save_article, article_id=article_id, title=title, body=body, **kwargs)


def publish(engine, title, body, *, by="laura.rios", **kwargs) -> int:
    article_id = write(engine, title, body, by=by, **kwargs)
    act(engine, by, knowledge.publish, article_id=article_id)
    return article_id


def read(engine, username, article_id):
    return act(engine, username, knowledge.get_article, article_id=article_id)


def found(engine, username, words=""):
    return [row.id for row in act(engine, username, knowledge.list_articles, words=words).rows]


def suggested(engine, subject, option=None):
    return [row.id for row in act(engine, "ana.perez", knowledge.suggestions, subject=subject, option_id=option)]


def option_id(engine, name):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == name))


def area_id(engine, name):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Area.id).where(Area.name == name))


def reply(engine, area, title, body, *, by="admin.mesa", reply_id=None):
    area = area_id(engine, area)
    return act(engine, by, knowledge.save_canned_reply, reply_id=reply_id, area_id=area, title=title, body=body)


# ---------------------------------------------------------------- drafts, publishing, versions


def test_a_draft_is_neither_seen_nor_found_by_employees(kb):
    draft = write(kb, "Impresión a doble cara", "Cómo imprimir por los dos lados.")
    assert found(kb, "ana.perez") == [] and found(kb, "ana.perez", "impresión") == []
    with pytest.raises(NotFound):
        read(kb, "ana.perez", draft)
    assert found(kb, "laura.rios", "impresión") == [draft]


def test_a_published_article_is_seen_and_found_in_any_form_of_its_words(kb):
    article = publish(kb, "Impresión a doble cara", "Las impresiones salen por los dos lados.")
    assert read(kb, "ana.perez", article).status == PUBLISHED
    for words in ("impresión", "IMPRESION", "impresiones", "impresion doble"):
        assert found(kb, "ana.perez", words) == [article], words


def test_a_search_typed_as_a_question_finds_the_article(kb):
    article = publish(kb, "Cambiar el tóner", "Abra la tapa frontal y retire el cartucho.")
    assert found(kb, "ana.perez", "¿Cómo cambiar el tóner?") == [article]


def test_a_search_past_one_page_is_counted_whole_and_paged_in_the_order_of_its_rank(kb):
    best = publish(kb, "Tóner de la impresora", "Cómo cambiar el tóner: abra la tapa.")
    others = [publish(kb, f"Guía {n}", f"Paso {n}: revise el tóner del equipo {n}.") for n in range(25)]
    publish(kb, "Silla rota", "Pida el cambio de la silla.")  # found by no search below
    first = act(kb, "ana.perez", knowledge.list_articles, words="toner", page_size=10)
    assert (first.total, first.pages, len(first.rows)) == (26, 3, 10)
    assert first.rows[0].id == best  # the word in the title and the text: the best match first
    assert all(search.SNIPPET_START in r.snippet for r in first.rows)
    pages = [act(kb, "ana.perez", knowledge.list_articles, words="toner", page_size=10, page=n) for n in (1, 2, 3)]
    shown = [r.id for page in pages for r in page.rows]
    assert sorted(shown) == sorted([best, *others])  # each once, over the three pages
    past = act(kb, "ana.perez", knowledge.list_articles, words="toner", page_size=10, page=9)
    assert (past.page, past.total, [r.id for r in past.rows]) == (3, 26, shown[20:])


def test_an_edited_article_shows_its_published_text_until_published_again(kb):
    article = publish(kb, "Tóner", "Primer texto.")
    write(kb, "Tóner nuevo", "Segundo texto.", by="admin.mesa", article_id=article)
    seen = read(kb, "ana.perez", article)
    assert (seen.title, seen.body) == ("Tóner", "Primer texto.")
    assert found(kb, "ana.perez", "segundo") == []
    assert read(kb, "laura.rios", article).draft.body == "Segundo texto."
    act(kb, "admin.mesa", knowledge.publish, article_id=article)
    seen = read(kb, "ana.perez", article)
    assert (seen.title, seen.body) == ("Tóner nuevo", "Segundo texto.")
    assert found(kb, "ana.perez", "segundo") == [article]


def test_the_history_lists_every_version_with_its_author(kb):
    article = publish(kb, "Tóner", "Primer texto.")
    write(kb, "Tóner", "Segundo texto.", by="admin.mesa", article_id=article)
    write(kb, "Tóner", "Tercer texto.", by="laura.rios", article_id=article)
    versions = act(kb, "marta.luna", knowledge.history, article_id=article)
    assert [(v.number, v.body, v.author) for v in versions] == [
        (3, "Tercer texto.", "Laura Ríos"),
        (2, "Segundo texto.", "Admin Mesa"),
        (1, "Primer texto.", "Laura Ríos"),
    ]
    assert [v.published_at is not None for v in versions] == [False, False, True]


def test_a_save_from_a_stale_version_is_refused_and_writes_nothing(kb):
    article = publish(kb, "Tóner", "Primer texto.")
    seen = read(kb, "laura.rios", article).version
    write(kb, "Tóner", "Texto de Admin.", by="admin.mesa", article_id=article, expected_version=seen)
    with pytest.raises(Conflict):
        write(kb, "Tóner", "Texto de Laura.", article_id=article, expected_version=seen)
    versions = act(kb, "laura.rios", knowledge.history, article_id=article)
    assert [v.body for v in versions] == ["Texto de Admin.", "Primer texto."]


def test_internal_articles_are_never_seen_or_found_by_employees(kb):
    internal = publish(
        kb, "Clave de la impresora", "La impresora del piso 3 usa la clave secreta 1234.", audience=INTERNAL
    )
    public = publish(kb, "Impresora atascada", "Abra la tapa de la impresora y retire la hoja.")
    assert found(kb, "ana.perez") == [public]
    page = act(kb, "ana.perez", knowledge.list_articles, words="impresora")
    assert [r.id for r in page.rows] == [public] and page.total == 1
    assert all("clave" not in (r.title + r.snippet).lower() for r in page.rows)
    assert found(kb, "ana.perez", "clave secreta") == []
    with pytest.raises(NotFound):
        read(kb, "ana.perez", internal)
    with pytest.raises(NotFound):
        act(kb, "ana.perez", knowledge.vote, article_id=internal, helpful=True)
    assert sorted(found(kb, "laura.rios", "impresora")) == sorted([internal, public])


def test_managers_read_every_article_but_write_none(kb):
    draft = write(kb, "Correo lleno", "Vacíe la papelera.", audience=INTERNAL)
    assert read(kb, "marta.luna", draft).title == "Correo lleno"
    assert act(kb, "marta.luna", lambda session, actor: knowledge.rights(actor)).write is False
    with pytest.raises(PermissionDenied):
        write(kb, "Otro", "Texto.", by="marta.luna")
    with pytest.raises(PermissionDenied):
        write(kb, "Correo lleno", "Cambio.", by="marta.luna", article_id=draft)
    with pytest.raises(PermissionDenied):
        act(kb, "marta.luna", knowledge.publish, article_id=draft)
    with pytest.raises(PermissionDenied):
        act(kb, "marta.luna", knowledge.archive, article_id=draft)


def test_employees_write_no_article(kb):
    with pytest.raises(PermissionDenied):
        write(kb, "Mi truco", "Reiniciar.", by="ana.perez")


def test_an_archived_article_is_gone_for_everyone(kb):
    article = publish(kb, "Impresora vieja", "Ya no se usa esta impresora.")
    act(kb, "laura.rios", knowledge.archive, article_id=article)
    for username in ("ana.perez", "laura.rios", "marta.luna"):
        assert found(kb, username, "impresora") == []
        with pytest.raises(NotFound):
            read(kb, username, article)
    assert suggested(kb, "impresora") == []


# ---------------------------------------------------------------- an article from a case


def test_an_article_from_a_resolved_case_is_an_internal_draft_with_its_text(kb, tmp_path):
    number = register_case(kb, tmp_path, subject="Impresora no imprime", description="Sale la hoja en blanco.")
    resolve_case(kb, number, solution="Se cambió el tóner.")
    article = act(kb, "laura.rios", knowledge.draft_from_case, number=number)
    view = read(kb, "laura.rios", article)
    assert view.title == "Impresora no imprime"
    assert "Sale la hoja en blanco." in view.body and "Se cambió el tóner." in view.body
    assert (view.audience, view.status, view.option_id) == (INTERNAL, DRAFT, option_id(kb, "Impresoras"))
    assert act(kb, "laura.rios", knowledge.draft_from_case, number=number) == article  # a second click
    assert found(kb, "laura.rios") == [article]


def test_no_article_from_an_unresolved_case_nor_from_a_case_the_advisor_may_not_work(kb, tmp_path):
    open_case = register_case(kb, tmp_path, subject="Impresora", description="No imprime.")
    with pytest.raises(PermissionDenied):
        act(kb, "laura.rios", knowledge.draft_from_case, number=open_case)
    resolved = register_case(kb, tmp_path, subject="Impresora", description="No imprime.")
    resolve_case(kb, resolved)
    for username in ("jorge.diaz", "marta.luna", "ana.perez"):
        with pytest.raises((PermissionDenied, NotFound)):
            act(kb, username, knowledge.draft_from_case, number=resolved)
    assert found(kb, "admin.mesa") == []


# ---------------------------------------------------------------- "¿Le sirvió?" and cases avoided


def counters(engine, article):
    view = read(engine, "marta.luna", article)
    return view.helpful, view.not_helpful


def test_a_vote_counts_once_per_person_and_a_changed_mind_moves_the_counters(kb):
    article = publish(kb, "Correo lleno", "Vacíe la papelera.")
    act(kb, "ana.perez", knowledge.vote, article_id=article, helpful=True)
    act(kb, "ana.perez", knowledge.vote, article_id=article, helpful=True)
    assert counters(kb, article) == (1, 0)
    act(kb, "carlos.gomez", knowledge.vote, article_id=article, helpful=False)
    assert counters(kb, article) == (1, 1)
    act(kb, "ana.perez", knowledge.vote, article_id=article, helpful=False)
    assert counters(kb, article) == (0, 2)
    assert read(kb, "ana.perez", article).my_vote is False


def test_this_solved_my_problem_counts_it_helpful_and_one_case_avoided(kb):
    article = publish(kb, "Impresora atascada", "Abra la tapa y retire la hoja.")
    act(kb, "ana.perez", knowledge.solved_by_article, article_id=article, subject="La impresora se atascó")
    assert counters(kb, article) == (1, 0)
    report = act(kb, "marta.luna", knowledge.report)
    this_month = clock.to_local(clock.now()).strftime("%Y-%m")
    assert report.avoided_by_month == [(this_month, 1)] and report.avoided_total == 1
    assert report.most_helpful == [(article, "Impresora atascada", 1, 0)]


def test_searches_that_found_nothing_are_in_the_report(kb):
    publish(kb, "Impresora atascada", "Abra la tapa y retire la hoja.")
    for words in ("Teletransportación", "teletransportacion", "impresora"):
        found(kb, "ana.perez", words)
    assert act(kb, "marta.luna", knowledge.report).unanswered == [("teletransportacion", 2)]


def test_the_report_is_for_managers_and_admins(kb):
    for username in ("ana.perez", "laura.rios"):
        with pytest.raises(PermissionDenied):
            act(kb, username, knowledge.report)


# ---------------------------------------------------------------- suggestions while registering


def test_suggestions_are_at_most_three_articles(kb):
    for n in range(5):
        publish(kb, f"Impresora {n}", "La impresora no imprime.")
    assert len(suggested(kb, "impresora")) == 3


def test_only_published_public_articles_are_suggested(kb):
    public = publish(kb, "Impresora sin tinta", "Cambie el cartucho de la impresora.")
    publish(kb, "Impresora impresora", "Impresora: la clave interna.", audience=INTERNAL)
    write(kb, "Impresora impresora", "Borrador sobre la impresora.")
    archived = publish(kb, "Impresora impresora", "Impresora archivada.")
    act(kb, "laura.rios", knowledge.archive, article_id=archived)
    assert suggested(kb, "impresora") == [public]


def test_suggestions_prefer_the_articles_of_the_chosen_option(kb):
    general = publish(kb, "Impresora sin conexión", "Revise el cable de la impresora.")
    of_option = publish(
        kb, "Impresora sin conexión", "Revise el cable de la impresora.", option_id=option_id(kb, "Impresoras")
    )
    assert suggested(kb, "impresora sin conexión", option_id(kb, "Impresoras")) == [of_option, general]


def test_suggestions_ignore_the_common_words_of_a_subject(kb):
    printer = publish(kb, "Impresoras", "Cómo destrabar el papel.")
    publish(kb, "Correo", "No me llega el correo: la bandeja está llena, vacíe la papelera.")
    assert suggested(kb, "No me funciona la impresora") == [printer]


def test_a_subject_of_only_common_words_suggests_nothing(kb):
    publish(kb, "Correo", "No me llega el correo: la bandeja está llena, para que se vacíe.")
    assert suggested(kb, "No me la de para que") == []
    assert suggested(kb, "") == []


def test_a_greeting_before_the_problem_does_not_hide_it(kb):
    printer = publish(kb, "Impresoras", "Cómo destrabar el papel.")
    assert suggested(kb, "Buenos días, necesito ayuda por favor: no me funciona la impresora") == [printer]


# ---------------------------------------------------------------- predefined replies


def test_an_advisor_of_another_area_may_not_keep_an_areas_replies(kb):
    greeting = reply(kb, GT, "Saludo", "Buen día {solicitante}.")
    with pytest.raises(PermissionDenied):
        reply(kb, GT, "Otra", "Texto.", by="jorge.diaz")
    with pytest.raises(PermissionDenied):
        reply(kb, SG, "Saludo", "Cambiado.", by="jorge.diaz", reply_id=greeting)
    with pytest.raises(PermissionDenied):
        act(kb, "jorge.diaz", knowledge.delete_canned_reply, reply_id=greeting)
    with pytest.raises(PermissionDenied):
        reply(kb, GT, "Otra", "Texto.", by="marta.luna")
    assert [r.body for r in act(kb, "laura.rios", knowledge.canned_replies)] == ["Buen día {solicitante}."]
    reply(kb, GT, "Saludo", "Hola {solicitante}.", by="laura.rios", reply_id=greeting)


def test_a_reply_with_an_unknown_placeholder_is_refused(kb):
    with pytest.raises(ValidationFailed) as refused:
        reply(kb, GT, "Saludo", "Hola {nombre}, su caso {caso}.", by="laura.rios")
    assert refused.value.key == "kb.unknown_placeholder" and refused.value.params["names"] == "{nombre}"
    assert act(kb, "laura.rios", knowledge.canned_replies) == []


def test_a_reply_is_filled_for_a_case_of_its_area(kb, tmp_path):
    number = register_case(kb, tmp_path, username="ana.perez")
    text = "Hola {solicitante}: su caso {caso} de {area} lo atiende {asesor}."
    filled = act(kb, "laura.rios", knowledge.fill_reply, reply_id=reply(kb, GT, "Saludo", text), number=number)
    assert filled == f"Hola Ana Pérez: su caso #{number} de Gestión Tecnológica lo atiende Laura Ríos."


def test_a_reply_is_not_filled_for_another_areas_case_nor_for_the_requester(kb, tmp_path):
    number = register_case(kb, tmp_path, username="ana.perez")
    other_area = reply(kb, SG, "Saludo", "Hola {solicitante}.")
    with pytest.raises(NotFound):
        act(kb, "laura.rios", knowledge.fill_reply, reply_id=other_area, number=number)
    own_area = reply(kb, GT, "Saludo", "Hola {solicitante}.")
    with pytest.raises(ServiceError):
        act(kb, "ana.perez", knowledge.fill_reply, reply_id=own_area, number=number)


def test_an_internal_article_cannot_be_put_in_a_reply(kb):
    internal = publish(kb, "Clave del servidor", "La clave es 1234.", audience=INTERNAL)
    with pytest.raises(PermissionDenied):
        act(kb, "laura.rios", knowledge.article_for_reply, article_id=internal, as_link=False, link="")
    public = publish(kb, "Correo lleno", "Vacíe la papelera.", audience=PUBLIC)
    link = act(kb, "laura.rios", knowledge.article_for_reply, article_id=public, as_link=True, link="/kb?id=1")
    assert link == "Correo lleno: /kb?id=1"

"""Bandeja de casos: key figures, filters and the queue; a selected case opens its work view.

Fragments: the list (filters, view, page size) holding its results (key figures, table, pager), and a
case's work view holding its facts, reply box, note box and record (timeline, files, conversation). A
click inside one reruns it alone — a key figure, a row or a page only the results, and a filter, the page
size or the view only the results too (a keyed rerun: the filters are not drawn again); a message its box,
the facts and the record (see reply()); opening a case and going back to the list change the page, so
those rerun it whole.
"""

import contextvars
import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pyarrow as pa
import streamlit as st

from app_pages import case_view as view
from app_pages import knowledge_view as kv
from app_pages import ui
from services import cases, clock, inbox, knowledge, reports, workflow
from services.errors import ServiceError

actor = ui.require_page("bandeja")
t = ui.t
ss = st.session_state


def duration(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return t("duration.days", d=days, h=hours)
    if hours:
        return t("duration.hours", h=hours, m=mins)
    return t("duration.minutes", m=mins)


def open_case(number: int) -> None:
    """The case's own address (/bandeja?caso=N): the browser keeps it in the tab's history, so its Back
    returns to the list and Forward opens the case again; the address can be kept or sent."""
    st.query_params["caso"] = str(number)
    st.rerun()  # the whole page: the work view replaces the list, outside the list's fragment


def open_typed() -> None:
    """Abrir: the case number typed beside it ("1024" or "#1024"), any case of the advisor's areas (the
    work view says so when it is not one); anything else is refused in words and opens nothing."""
    typed = (ss.get("inbox_go") or "").strip().removeprefix("#").strip()
    if typed.isdecimal() and len(typed) < 18:
        ss.pop("inbox_go_error", None)
        open_case(int(typed))
    else:
        ss["inbox_go_error"] = t("inbox.go_invalid")


def close_case() -> None:
    ss.pop(f"work_handoff_{st.query_params.get('caso')}", None)  # a question left unanswered goes with the case
    ss.pop("inbox_table", None)  # the row selected to open it would open it again
    st.query_params.pop("caso", None)
    st.rerun()  # the whole page: the list replaces the work view, outside the work view's fragment


# The list's results are a keyed fragment: a filter, the page size or the view changes what it shows and
# reruns it alone (ui.rerun_part), not the row of filters and the row under the list, which the browser
# already shows as they now are (a filter's click drew ~20 widgets again for nothing).
RESULTS = "inbox_results"


def first_page() -> None:
    ss["inbox_page"] = 1
    ui.rerun_part(RESULTS)


def new_search() -> None:
    """Other words: the search ranks its first window again (ui.search_window)."""
    ss.pop("inbox_window", None)
    first_page()


def set_page_size() -> None:
    # Kept apart from the widget's own key, which goes while a case's work view hides the list.
    ss["inbox_rows"] = ss["inbox_page_size"]
    ss["inbox_page"] = 1
    ui.rerun_part(RESULTS)


def set_quick() -> None:
    # Kept apart from the widget's own key, which goes while a case's work view hides the list.
    ss["inbox_quick_kept"] = ss["inbox_quick"]
    ss["inbox_page"] = 1


# --- Work view of one case ----------------------------------------------------------------------


def act(service, number: int, done_key: str, fields: dict[str, str] | None = None, *, parts=None, **options) -> Any:
    """Run one action with the version of the case this advisor saw; a stale view changes nothing.

    `fields` maps the service's arguments to widget keys, read when the button is pressed. Returns what the
    service returns: None when done (then its words wait for the view), a hand-off's colleague to ask about.
    Done or asked, the view's `parts` are drawn again if given (else the part the button is in); refused, the
    whole view, with the case as it is now.
    """
    values = {name: ss.get(key) for name, key in (fields or {}).items()}
    try:
        result = ui.call(
            service, actor=actor, number=number, expected_version=ss.get(f"work_version_{number}"), **values, **options
        )
    except ServiceError as exc:
        ss["work_error"] = ui.error_text(exc)
        ui.rerun_part(WORK)
    if result is None:
        ss["work_done"] = t(done_key)
    if parts:
        ui.rerun_part(parts)
    return result


def reply(number: int, internal: bool) -> None:
    """Enviar respuesta / Agregar nota. Its box, the record and (a reply may be the first response) the
    facts are drawn again; the whole work view only when the case changed otherwise since this advisor
    saw it (a colleague's change: they see it before they act again)."""
    part = NOTE if internal else REPLY
    key = box_key(part, number)
    try:
        sent = ui.call(
            cases.post_message,
            actor=actor,
            uploads=ui.uploads(),
            number=number,
            body=ss.get(key, ""),
            internal=internal,
        )
    except ServiceError as exc:
        ss[f"{part}_error"] = ui.error_text(exc)
        ui.rerun_part(part)
    ss[f"{part}_sent_{number}"] = ss.get(f"{part}_sent_{number}", 0) + 1  # an empty box (box_key)
    ss.pop(key, None)
    ss[f"{part}_done"] = t("work.noted" if internal else "work.replied")
    before, after = sent.case_versions
    if before == ss.get(f"work_version_{number}"):
        ss[f"work_version_{number}"] = after  # what this advisor sees is still what they act on
        ui.rerun_part([part, RECORD] if internal else [FACTS, part, RECORD])  # a reply may be the first response
    ui.rerun_part(WORK)


def box_key(part: str, number: int) -> str:
    """The widget key of the reply's or the note's box: a new one after each message sent, so the box the
    browser shows then is a new, empty one. (Emptied through its key in the callback instead, the box
    kept the text in the browser after a keyed rerun, and a second click sent the same message again.)"""
    return f"{part}_{number}_{ss.get(f'{part}_sent_{number}', 0)}"


def insert_reply(number: int) -> None:
    """A predefined reply, its placeholders filled for this case, into the reply box (to edit, then send)."""
    chosen = ss.get(f"work_canned_{number}")
    if chosen is None:
        return
    filled = ui.act(knowledge.fill_reply, flash=REPLY, actor=actor, reply_id=chosen, number=number)
    if filled is not None:
        ss[box_key(REPLY, number)] = _joined(ss.get(box_key(REPLY, number), ""), filled)


def insert_article(number: int) -> None:
    """An article into the reply box: its link, or its text."""
    chosen = ss.get(f"work_article_{number}")
    if chosen is None:
        return
    added = ui.act(
        knowledge.article_for_reply,
        flash=REPLY,
        actor=actor,
        article_id=chosen,
        as_link=ss.get(f"work_article_as_{number}", "link") == "link",
        link=kv.article_link(chosen),
    )
    if added is not None:
        ss[box_key(REPLY, number)] = _joined(ss.get(box_key(REPLY, number), ""), added)


def _joined(typed: str, added: str) -> str:
    return f"{typed.rstrip()}\n\n{added}" if typed.strip() else added


def article_from_solution(number: int) -> None:
    """Crear artículo a partir de esta solución: a draft in the Base de conocimiento, opened to edit."""
    article_id = ui.act(knowledge.draft_from_case, flash="work_kb", actor=actor, number=number)
    if article_id is not None:
        ss["kb_edit"] = article_id
        for key in ("kb_title", "kb_body", "kb_tags", "kb_audience", "kb_option"):
            ss.pop(key, None)
        ss["work_open_article"] = article_id


# The work view is a fragment (WORK): an action in it reruns it, or the parts of it the action changes.
# Those parts are fragments of their own, drawn with the case the view has just read: the head — what an
# action says, and the summary — (HEAD), the facts (FACTS), the actions' box (ACTIONS), the reply box with
# its helpers (REPLY), the note's (NOTE), the resolution's (RESOLVE) and the record — timeline, files and
# conversation (RECORD). Tomar, Reasignar and Estado rerun what they change (HANDED: the reply and note
# boxes and the reclassification stay as they are, which they do not change); a message its box, the record
# and the facts (reply() says when the whole view instead); an article or a predefined reply inserted, or an
# article looked for, its box alone; a refusal or a resolution the whole view. Each part costs the server
# ~1 ms on a run of the whole view, and saves the browser drawing again what did not change.
WORK, HEAD, FACTS, ACTIONS = "work", "work_head", "work_facts", "work_actions"
REPLY, NOTE, RESOLVE, RECORD = "work_reply", "work_note", "work_resolve", "work_record"
HANDED = [HEAD, FACTS, ACTIONS, RESOLVE, RECORD]
_drawing: contextvars.ContextVar[tuple[cases.CaseDetail, ui.Reader] | None] = contextvars.ContextVar(
    "work_drawing", default=None
)


@ui.fragment(key=WORK)
def work_view(number: int) -> None:
    """The case, its actions and its conversation (the view's fragment)."""
    st.button(t("work.back"), icon=":material/arrow_back:", on_click=close_case, key="work_back")
    with ui.reading(actor) as read:
        work_parts(read, number)


def work_part(body: Callable[[cases.CaseDetail, ui.Reader], None]) -> Callable[[int], None]:
    """A part of the work view that may rerun alone: drawn with the case the view is drawing, or, rerun
    alone, with the case read now.

    The parts a keyed rerun runs together (Tomar: the head, the facts, the actions, the resolution and the
    record) read the case once, in one unit of work with one check of the live session; what a part reads
    besides (the area's advisors, its predefined replies) is read when it asks, checked alike."""

    @functools.wraps(body)
    def part(number: int) -> None:
        if (drawing := _drawing.get()) is not None:
            body(*drawing)
        elif (detail := ui.once_per_run(f"work_case_{number}", lambda: _case_now(number))) is not None:
            body(detail, _read_now)

    return part


def _case_now(number: int) -> cases.CaseDetail | None:
    with ui.reading(actor) as read:
        return view.read_case(read, number)


def _read_now(service: Callable, **kwargs) -> Any:
    """A Reader's call, in a unit of work of its own."""
    return ui.call(service, write=False, actor=actor, **kwargs)


def work_parts(read: ui.Reader, number: int) -> None:
    if (detail := view.read_case(read, number)) is None:
        return
    drawing = _drawing.set((detail, read))
    try:
        work_head(number)
        work_facts(number)
        if detail.actions.work:
            work_actions(number)
            work_tabs(detail, read)
        if detail.actions.work and detail.solution and knowledge.rights(actor).write:
            st.button(
                t("kb.from_solution"),
                key=f"work_kb_from_{number}",
                on_click=article_from_solution,
                args=(number,),
                icon=":material/menu_book:",
            )
        work_record(number)
    finally:
        _drawing.reset(drawing)


@ui.fragment(key=HEAD)
@work_part
def work_head(detail: cases.CaseDetail, read: ui.Reader) -> None:
    """What the last action said, and the case's summary."""
    ss[f"work_version_{detail.number}"] = detail.version  # what this advisor sees is what they act on
    if error := ss.pop("work_error", None):
        ui.show_error(error)
    if done := ss.pop("work_done", None):
        st.success(done, icon="✅")
    if not detail.actions.work:
        st.info(t("workflow.read_only"), icon=":material/visibility:")
    ui.show_flash("work_kb")
    if article_id := ss.pop("work_open_article", None):
        st.switch_page(ui.page_script("conocimiento"), query_params={"articulo": article_id})
    view.summary(detail)


@ui.fragment(key=FACTS)
@work_part
def work_facts(detail: cases.CaseDetail, read: ui.Reader) -> None:
    """Who asked, when the case is due, and its first response (given, or when it is due)."""
    facts = st.columns(3)
    facts[0].markdown(f"**{t('work.requester')}**  \n{ui.md(detail.requester)}")
    facts[1].markdown(f"**{t('work.due')}**  \n{ui.md(target_text(detail.due_at, detail.left, detail))}")
    if detail.first_response_at:
        first = ui.when(detail.first_response_at)
    elif detail.first_response_due_at:
        first = target_text(detail.first_response_due_at, detail.first_response_left, detail)
    else:
        first = t("work.none_yet")
    facts[2].markdown(f"**{t('work.first_response')}**  \n{ui.md(first)}")


@ui.fragment(key=RECORD)
@work_part
def work_record(detail: cases.CaseDetail, read: ui.Reader) -> None:
    """The timeline beside the files, and the conversation."""
    number = detail.number
    info, files = st.columns(2)
    with info:
        view.timeline(detail, actor)
    with files:
        view.attachments_block(detail, actor)
        if detail.actions.work:
            st.button(
                t("work.attach"),
                icon=":material/attach_file:",
                key=f"work_attach_{number}",
                on_click=view.open_attachments,
                args=(f"watt_{number}",),
                disabled=not detail.actions.attach,
            )
    if detail.actions.attach:
        view.attachments_dialog(f"watt_{number}", view.add_to_case(actor, number))
    view.conversation(detail, actor, staff=True)


# Tomar and Reasignar take a colleague's case only once the advisor has said so: the question waits in the
# session state, per case, across the work view's reruns. Which colleague it is, the service says.
HANDOFFS = {"take": (workflow.take_case, "work.taken"), "reassign": (workflow.assign_case, "work.reassigned")}


def handoff_key(number: int) -> str:
    return f"work_handoff_{number}"


def drop_handoff(number: int) -> None:
    ss.pop(handoff_key(number), None)


def hand_off(number: int, action: str, *, ask_first: bool = False) -> None:
    """Tomar or Reasignar with the version of the case this advisor saw: done at once, or, asked first when it
    takes the case from a colleague (one transaction either way), left as a question for the work view."""
    drop_handoff(number)
    service, done_key = HANDOFFS[action]
    fields = {"advisor_username": f"work_advisor_{number}"} if action == "reassign" else None
    if (holder := act(service, number, done_key, fields, ask_first=ask_first)) is not None:
        ss[handoff_key(number)] = {"action": action, "holder_id": holder.id, "holder": holder.name}
    ui.rerun_part(HANDED)


def handoff_question(detail: cases.CaseDetail, advisor_names: dict[str, str]) -> None:
    """The question "Este caso lo tiene …": Sí goes ahead, Cancelar forgets it. It goes once the case has moved
    since (the advisor then sees who has it now, and may ask again)."""
    number, question = detail.number, ss.get(handoff_key(detail.number))
    if question is None:
        return
    action = question["action"]
    if question["holder_id"] != detail.assignee_id or not getattr(detail.actions, action):
        drop_handoff(number)
        return
    chosen = advisor_names.get(ss.get(f"work_advisor_{number}"), "")
    st.warning(t(f"work.{action}_held", name=ui.md(question["holder"]), to=ui.md(chosen)), icon=":material/warning:")
    answers = st.container(horizontal=True)
    answers.button(
        t(f"work.{action}_confirm"),
        type="primary",
        key="work_handoff_yes",
        on_click=hand_off,
        args=(number, action),
    )
    answers.button(t("work.handoff_cancel"), key="work_handoff_no", on_click=drop_handoff, args=(number,))


@ui.fragment(key=ACTIONS)
@work_part
def work_actions(detail: cases.CaseDetail, read: ui.Reader) -> None:
    """Tomar, reassign and status, as detail.actions allows them, with the question before a hand-off."""
    number, can = detail.number, detail.actions
    with st.container(border=True):
        # Tomar's column only while the case can be taken: once taken, no empty third beside the others.
        columns = st.columns(3 if can.take else 2, vertical_alignment="bottom")
        reassign_col, status_col = columns[-2:]
        if can.take:
            columns[0].button(
                t("work.take"),
                type="primary",
                key="work_take",
                icon=":material/back_hand:",
                on_click=hand_off,
                args=(number, "take"),
                kwargs={"ask_first": True},
            )
        advisors = read(workflow.advisors_of_area, number=number) if can.reassign else []
        names = dict(advisors)
        with reassign_col:
            st.selectbox(
                t("work.reassign"),
                options=list(names),
                format_func=names.get,
                index=None,
                placeholder=t("common.choose"),
                key=f"work_advisor_{number}",
                disabled=not can.reassign,
                on_change=drop_handoff,  # a question about another choice no longer stands
                args=(number,),
            )
            st.button(
                t("work.reassign_button"),
                key="work_reassign",
                disabled=not can.reassign,
                on_click=hand_off,
                args=(number, "reassign"),
                kwargs={"ask_first": True},
            )
        with status_col:
            st.selectbox(
                t("work.status"),
                options=list(can.moves),
                format_func=view.status_label,
                index=None,
                placeholder=t("common.choose"),
                key=f"work_status_{number}",
                disabled=not can.moves,
            )
            st.button(
                t("work.status_button"),
                key="work_status_button",
                disabled=not can.moves,
                on_click=act,
                args=(workflow.change_status, number, "work.status_changed"),
                kwargs={"fields": {"to": f"work_status_{number}"}, "parts": HANDED},
            )
        handoff_question(detail, names)


def work_tabs(detail: cases.CaseDetail, read: ui.Reader) -> None:
    """The reply / note / reclassify / resolve tabs."""
    number, can = detail.number, detail.actions
    reply_tab, note_tab, reclassify_tab, resolve_tab = st.tabs(
        [t("work.reply_tab"), t("work.note_tab"), t("work.reclassify_tab"), t("work.resolve_tab")]
    )
    with reply_tab:
        reply_box(number)
    with note_tab:
        note_box(number)
    with reclassify_tab:
        options = dict(read(inbox.all_options))
        st.selectbox(
            t("case.urgency"),
            options=list(cases.URGENCIES),
            format_func=view.urgency_label,
            index=list(cases.URGENCIES).index(detail.urgency),
            key=f"work_urgency_{number}",
        )
        st.selectbox(
            t("work.reclassify_option"),
            options=list(options),
            format_func=options.get,
            index=list(options).index(detail.option_id) if detail.option_id in options else None,
            placeholder=t("common.choose"),
            key=f"work_option_{number}",
        )
        st.text_input(t("work.reason"), key=f"work_reason_{number}", max_chars=500)
        st.button(
            t("work.reclassify_button"),
            key="work_reclassify_button",
            disabled=not can.reclassify,
            on_click=act,
            args=(workflow.reclassify, number, "work.reclassified"),
            kwargs={
                "fields": {
                    "urgency": f"work_urgency_{number}",
                    "option_id": f"work_option_{number}",
                    "reason": f"work_reason_{number}",
                }
            },
        )
    with resolve_tab:
        resolve_box(number)


@ui.fragment(key=RESOLVE)
@work_part
def resolve_box(detail: cases.CaseDetail, read: ui.Reader) -> None:
    """Resolver: the solution and its button (Tomar may allow it: a new case is not resolved untaken)."""
    number = detail.number
    st.text_area(t("work.solution"), key=f"work_solution_{number}", max_chars=workflow.MAX_TEXT, height=120)
    st.button(
        t("work.resolve_button"),
        type="primary",
        key="work_resolve_button",
        disabled=not detail.actions.resolve,
        on_click=act,
        args=(workflow.resolve_case, number, "work.resolved"),
        kwargs={"fields": {"solution": f"work_solution_{number}"}, "parts": [WORK]},
        icon=":material/task_alt:",
    )


@ui.fragment(key=REPLY)
@work_part
def reply_box(detail: cases.CaseDetail, read: ui.Reader) -> None:
    """Respuesta: the predefined replies and articles to insert, the box, Enviar respuesta and how it went."""
    if detail.actions.reply:
        reply_helpers(detail.number, read)
    message_box(detail.number, internal=False, allowed=detail.actions.reply)


@ui.fragment(key=NOTE)
@work_part
def note_box(detail: cases.CaseDetail, read: ui.Reader) -> None:
    """Nota interna: the box, Agregar nota and how it went."""
    message_box(detail.number, internal=True, allowed=detail.actions.note)


def message_box(number: int, *, internal: bool, allowed: bool) -> None:
    part, word, icon = (NOTE, "note", ":material/lock:") if internal else (REPLY, "reply", ":material/send:")
    st.text_area(t(f"work.{word}"), key=box_key(part, number), max_chars=cases.MAX_MESSAGE, height=120)
    st.button(
        t(f"work.{word}_button"),
        key=f"work_{word}_button",
        on_click=reply,
        args=(number, internal),
        disabled=not allowed,
        icon=icon,
    )
    ui.show_flash(part)


def reply_helpers(number: int, read: ui.Reader) -> None:
    """Above the reply box: the area's predefined replies, and an article of the base (link or text)."""
    canned = {r.id: r.title for r in read(knowledge.replies_for_case, number=number)}
    row = st.container(horizontal=True, vertical_alignment="bottom")
    row.selectbox(
        t("kb.replies.pick"),
        options=list(canned),
        format_func=canned.get,
        index=None,
        placeholder=t("kb.replies.none") if not canned else t("common.choose"),
        key=f"work_canned_{number}",
        disabled=not canned,
        width=320,
    )
    row.button(
        t("kb.replies.insert"),
        key=f"work_canned_insert_{number}",
        on_click=insert_reply,
        args=(number,),
        disabled=not canned,
        icon=":material/playlist_add:",
    )
    with row.popover(t("kb.insert_article"), icon=":material/menu_book:"):
        words = st.text_input(t("kb.search"), key=f"work_article_words_{number}", icon=":material/search:")
        found = read(knowledge.list_articles, words=words, page_size=10, record=False).rows if words else []
        public = {a.id: a.title for a in found if a.status == "published" and a.audience == "public"}
        st.selectbox(
            t("kb.article"),
            options=list(public),
            format_func=public.get,
            index=None,
            placeholder=t("kb.type_to_find") if not words else t("common.choose"),
            key=f"work_article_{number}",
        )
        st.radio(
            t("kb.insert_as"),
            options=["link", "text"],
            format_func=lambda v: t(f"kb.insert_as.{v}"),
            key=f"work_article_as_{number}",
            horizontal=True,
        )
        st.button(
            t("kb.insert"),
            key=f"work_article_insert_{number}",
            on_click=insert_article,
            args=(number,),
            disabled=not public,
        )


# --- The list ------------------------------------------------------------------------------------


def business(delta: timedelta) -> str:
    """Business time in hours and minutes ("26 h 10 min hábiles"): a business day is no 24 hours."""
    minutes = int(abs(delta).total_seconds() // 60)
    hours, mins = divmod(minutes, 60)
    if hours and not mins:
        return t("duration.business", time=t("duration.whole_hours", h=hours))
    return t("duration.business", time=t("duration.hours", h=hours, m=mins) if hours else t("duration.minutes", m=mins))


def left_text(delta: timedelta | None, paused: bool) -> str:
    """ "quedan 3 h 20 min hábiles", "🔴 vencido hace 2 h hábiles", or its time frozen by the pause."""
    if delta is None:
        return ""
    if paused:
        return t("inbox.paused", time=business(delta))
    if delta < timedelta(0):
        return f"🔴 {t('inbox.overdue_by', time=business(delta))}"
    return business(delta)


def target_text(due, delta: timedelta | None, detail) -> str:
    """A target in the work view: when it falls due as people say it, and the business time left."""
    if due is None:
        return t("work.none_yet")
    waiting = detail.status == "waiting"
    left = t("work.left", time=business(delta)) if delta is not None and delta >= timedelta(0) and not waiting else ""
    left = left or left_text(delta, waiting)
    when = t("work.due_on", when=clock.spoken(due, ui.language()))
    return f"{when} · {left}" if left else when


def _left_column(rows) -> list[str]:
    """The business time left of each row, marked 🔴 once overdue (a pause is not overdue)."""
    return [left_text(r.left, r.paused) for r in rows]


def _first_response_column(rows) -> list[str]:
    """The first response: ✓ once given, its business time left while due, nothing without a target."""
    return [
        "✓" if r.first_response_at else left_text(r.first_response_left, r.paused) if r.first_response_due_at else ""
        for r in rows
    ]


def table(result: inbox.InboxPage) -> None:
    """The rows of this page, the time left marked 🔴 once overdue; a selected row opens its case."""
    rows, now = result.rows, clock.now()
    urgencies = {code: view.urgency_label(code) for code in {r.urgency for r in rows}}  # each said once
    statuses = {code: view.status_label(code) for code in {r.status for r in rows}}
    columns = {
        "number": [r.number for r in rows],
        "subject": [r.subject for r in rows],
        "requester": [r.requester for r in rows],
        "area": [r.area for r in rows],
        "option": [r.option for r in rows],
        "urgency": [urgencies[r.urgency] for r in rows],
        "status": [statuses[r.status] for r in rows],
        "assignee": [r.assignee or "—" for r in rows],
        "age": [duration(now - r.created_at) for r in rows],
        "left": _left_column(rows),
        "first_response": _first_response_column(rows),
        "activity": [ui.when(r.last_activity_at) for r in rows],
    }
    if any(r.snippet for r in rows):  # a search: where its words are, beside the subject
        found = [ui.plain_snippet(r.snippet) or "—" for r in rows]
        columns = {"number": columns.pop("number"), "subject": columns.pop("subject"), "found": found, **columns}
    # The grid's own CSV download and copy take the cells as shown: no cell a spreadsheet would run.
    # An Arrow table, not a pandas frame: Streamlit sends it as it is (0.1 ms for 25 rows instead of 1.3).
    frame = pa.table(
        {t(f"inbox.col.{key}"): [reports.inert_cell(v) for v in values] for key, values in columns.items()}
    )
    picked = st.dataframe(
        frame, hide_index=True, on_select="rerun", selection_mode="single-row", key="inbox_table", width="stretch"
    )
    if picked and picked.selection.rows:
        open_case(rows[picked.selection.rows[0]].number)


def cards(result: inbox.InboxPage) -> None:
    """The same rows as a list of cards for a phone: the number and subject open the case, one line of facts."""
    rows = result.rows
    for row, left in zip(rows, _left_column(rows), strict=True):
        with st.container(border=True, gap="small"):
            st.button(
                f"**#{row.number}** · {ui.md(row.subject)}",
                key=f"inbox_card_{row.number}",
                on_click=open_case,
                args=(row.number,),
                type="tertiary",
            )
            facts = (
                view.status_label(row.status),
                view.urgency_label(row.urgency),
                ui.md(row.requester),
                ui.md(row.assignee) if row.assignee else t("inbox.card.unassigned"),
                left,
            )
            st.caption(" · ".join(f for f in facts if f))
            if row.snippet:
                st.caption(ui.highlight(row.snippet))


VIEWS = ("table", "cards")


def keep_view() -> None:
    # Kept apart from the widget's own key, which goes while a case's work view hides the list.
    if ss.get("inbox_view") in VIEWS:
        ss["inbox_view_kept"] = ss["inbox_view"]
    ui.rerun_part(RESULTS)


def on_a_phone() -> bool:
    return "Mobi" in st.context.headers.get("User-Agent", "")  # its browser says "Mobile"


def default_view() -> str:
    """Cards on a phone, the table elsewhere; the advisor may switch."""
    return "cards" if on_a_phone() else "table"


@ui.fragment
def inbox_list() -> None:
    """The filters, the list's view and its page size: a change reruns this, and the results inside it."""
    with ui.reading(actor) as read:
        areas = dict(read(inbox.areas_in_scope))
    filter_row(areas)
    inbox_results()
    view_row()


def filter_row(areas: dict[int, str]) -> None:
    # Rows are horizontal containers, not columns: fewer blocks for the browser to draw, and on a narrow
    # screen the filters wrap instead of being squeezed. The search box has a row of its own, so that the
    # Estado filter is wide enough for its four open states in one line (at 300 px the third was cut and the
    # fourth hidden); a fifth wraps to a second row (in a row of filters Streamlit scrolls the chips instead,
    # and a chip's ✕ moved away under the click). A phone has no room for four chips in a line: there the
    # filters are one under the other, each as wide as the screen.
    phone = on_a_phone()

    def width(pixels: int) -> int | str:
        return "stretch" if phone else pixels

    st.text_input(t("inbox.text"), key="inbox_text", on_change=new_search, icon=":material/search:", width=560)
    row = st.container(horizontal=not phone, vertical_alignment="bottom")
    row.selectbox(
        t("inbox.area"),
        options=[None, *areas],
        format_func=lambda a: t("inbox.all_areas") if a is None else areas[a],
        key="inbox_area",
        on_change=first_page,
        width=width(190),
    )
    row.multiselect(
        t("inbox.status"),
        options=list(inbox.STATUS_CHOICES),
        default=list(workflow.OPEN),
        format_func=view.status_label,
        key="inbox_statuses",
        on_change=first_page,
        help=t("inbox.status_help"),
        width=width(460),
        select_all=False,  # Streamlit's "Select all" is English only
        wrap=True,  # a fifth state goes to a second row (in a row of filters the chips would scroll out of sight)
    )
    row.selectbox(
        t("inbox.urgency"),
        options=[None, *cases.URGENCIES],
        format_func=lambda u: t("inbox.any_urgency") if u is None else view.urgency_label(u),
        key="inbox_urgency",
        on_change=first_page,
        width=width(140),
    )
    row.selectbox(
        t("inbox.assignee"),
        options=["any", "me", "unassigned"],
        format_func=lambda a: t(f"inbox.assignee.{a}"),
        key="inbox_assignee",
        on_change=first_page,
        width=width(170),
    )


def view_row() -> None:
    """Under the list: a case opened by its number, how many cases a page holds, and the table or the
    cards. Outside the results' fragment, so a key figure or a page does not draw them again."""
    row = st.container(horizontal=True, vertical_alignment="bottom", horizontal_alignment="distribute")
    with row.form("inbox_go_form", border=False, clear_on_submit=True, enter_to_submit=True, width="content"):
        go = st.container(horizontal=True, vertical_alignment="bottom")
        go.text_input(
            t("inbox.open_case"),
            key="inbox_go",
            placeholder=t("inbox.go_placeholder"),
            help=t("inbox.select_hint"),
            width=170,
        )
        go.form_submit_button(t("inbox.open"), on_click=open_typed, icon=":material/open_in_new:")
    view = row.container(horizontal=True, vertical_alignment="bottom", horizontal_alignment="right", width="content")
    view.selectbox(
        t("inbox.page_size"),
        options=inbox.PAGE_SIZES,
        index=inbox.PAGE_SIZES.index(ss.get("inbox_rows", inbox.PAGE_SIZE)),
        key="inbox_page_size",
        on_change=set_page_size,
        width=150,
    )
    view.segmented_control(
        t("inbox.view"),
        options=VIEWS,
        format_func=lambda v: t(f"inbox.view.{v}"),
        default=ss.get("inbox_view_kept") or default_view(),
        key="inbox_view",
        on_change=keep_view,
        required=True,
        label_visibility="collapsed",
    )
    if error := ss.pop("inbox_go_error", None):
        ui.show_error(error)


@ui.fragment(key=RESULTS)
def inbox_results() -> None:
    """The key figures, one page of the list and the pager: a key figure, a row or a page reruns this
    alone (the filters above it are not drawn again), reading what it shows in one unit of work."""
    with ui.reading(actor) as read:
        result_parts(read)


def result_parts(read: ui.Reader) -> None:
    numbers = read(inbox.figures)
    # The key figures are filters on top of the others (a figure's own states replace the Estado filter):
    # a pill shows it is on the moment it is clicked, before the list is read. The figure kept while a
    # case's work view hid the list is put back as the widget's value, not as its default: a default that
    # changes with every click is a changed element, which the browser draws again (~8 ms of JavaScript
    # per click, measured), where the same pills with the same figures are left as they are.
    if "inbox_quick" not in ss and ss.get("inbox_quick_kept"):
        ss["inbox_quick"] = ss["inbox_quick_kept"]
    st.pills(
        t("inbox.figures"),
        options=list(inbox.QUICK_FILTERS),
        format_func=lambda key: f"{getattr(numbers, key)} · {t(f'inbox.figure.{key}')}",
        key="inbox_quick",
        on_change=set_quick,
        label_visibility="collapsed",
    )
    quick = ss.get("inbox_quick")
    filters = inbox.InboxFilters(
        area_id=ss.get("inbox_area"),
        statuses=tuple(ss.get("inbox_statuses", workflow.OPEN)),
        urgency=ss.get("inbox_urgency"),
        assignee=ss.get("inbox_assignee", "any"),
        text=ss.get("inbox_text", ""),
        quick=quick,
        window=ss.get("inbox_window"),
    )
    result = read(
        inbox.list_inbox,
        filters=filters,
        page=ss.get("inbox_page", 1),
        page_size=ss.get("inbox_rows", inbox.PAGE_SIZE),
    )
    if quick:
        st.caption(t("inbox.filter_active", name=t(f"inbox.figure.{quick}")))
    if not result.rows:
        st.info(t("inbox.none"))
        return
    ui.search_window(result, "inbox_window", "inbox_page")  # more cases matched than it ranked
    # A search's list is ranked (services/search.py), the rest by due time.
    st.caption(t("inbox.count_found" if result.window else "inbox.count", total=result.total))
    chosen = ss.get("inbox_view") or ss.get("inbox_view_kept") or default_view()  # its switch is drawn below
    (cards if chosen == "cards" else table)(result)

    ui.pager(result, "inbox_page")


st.title(t("inbox.title"))
wanted = st.query_params.get("caso")  # opened here, by a link (Mensajes, e-mail) or by the browser's history
if wanted:
    work_view(wanted)
else:
    inbox_list()

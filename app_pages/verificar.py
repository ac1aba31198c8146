"""Verificar mis Casos: the user's cases in attention, each one expanding to its summary and conversation.

Each open case is a fragment: a chat message, a survey's "No" or a file reruns that case alone.
"""

import streamlit as st

from app_pages import case_view as view
from app_pages import survey, ui
from services import cases, surveys
from services.errors import ServiceError

actor = ui.require_page("verificar")
t = ui.t
ss = st.session_state


def reset_page() -> None:
    ss["ver_page"] = 1


def new_search() -> None:
    """Other words: the search ranks its first window again (ui.search_window)."""
    ss.pop("ver_window", None)
    reset_page()


def send_chat(number: int) -> None:
    body = ss.get(f"chat_{number}") or ""
    try:
        ui.call(cases.post_message, actor=actor, uploads=ui.uploads(), number=number, body=body)
    except ServiceError as exc:
        ss[f"chat_error_{number}"] = ui.error_text(exc)


@ui.fragment
def case_body(number: int, heading: str) -> None:
    """Everything of one case: summary, timeline, files and the chat with the advisor.

    `heading` is what the expander around it says (status, urgency): when the case read now says
    otherwise (a reply ended "En espera", say), the whole page reruns on purpose, to say it there too.
    """
    with ui.reading(actor) as read:
        if (detail := view.read_case(read, number)) is None:
            return
        asked = read(surveys.pending_questions) if detail.actions.answer_survey else []
    now_heading = view.case_heading(detail.number, detail.subject, detail.status, detail.urgency)
    if now_heading == heading:
        ss.pop(f"case_redrawn_{number}", None)
    elif ss.get(f"case_redrawn_{number}") != now_heading:  # once per change: never a loop of reruns
        ss[f"case_redrawn_{number}"] = now_heading
        st.rerun()
    view.summary(detail)
    if detail.actions.answer_survey:
        question = next((q for q in asked if q.number == number), None)
        if question is not None:
            with st.container(border=True):
                st.markdown(f"**{t('survey.in_verify')}**")
                if survey.question_body(actor, question, scope=f"verify_{number}"):
                    st.rerun()  # the whole page: the answer closes or reopens the case in the list
    info, files = st.columns(2)
    with info:
        view.timeline(detail)
    with files:
        view.attachments_block(detail, actor)
        if detail.actions.attach:
            st.button(
                t("case.attach_button"),
                icon=":material/attach_file:",
                key=f"att_btn_{number}",
                on_click=view.open_attachments,
                args=(f"att_{number}",),
            )
    if detail.actions.attach:
        view.attachments_dialog(f"att_{number}", view.add_to_case(actor, number))
    view.conversation(detail, actor)
    if error := ss.pop(f"chat_error_{number}", None):
        ui.show_error(error)
    if detail.actions.message_as_requester or detail.actions.reply:
        st.chat_input(
            t("case.write_message"),
            key=f"chat_{number}",
            on_submit=send_chat,
            args=(number,),
            max_chars=cases.MAX_MESSAGE,
        )


st.title(t("verify.title"))
search_col, closed_col = st.columns([3, 2], vertical_alignment="bottom")
search = search_col.text_input(t("verify.search"), key="ver_search", on_change=new_search, icon=":material/search:")
include_closed = closed_col.toggle(t("verify.show_closed"), key="ver_closed", on_change=reset_page)

# ?caso=123 opens that case at the top when it is the user's; anything else is "Caso no encontrado".
wanted = st.query_params.get("caso")
focus = None
if wanted:
    try:
        focus = ui.call(cases.get_case, write=False, actor=actor, number=wanted)
    except ServiceError as exc:
        ui.show_error(exc)
if focus is not None:
    focus_heading = view.case_heading(focus.number, focus.subject, focus.status, focus.urgency)
    with st.expander(focus_heading, expanded=True, icon=":material/push_pin:"):
        case_body(focus.number, focus_heading)

result = ui.call(
    cases.list_my_cases,
    write=False,
    actor=actor,
    include_closed=include_closed,
    search=search,
    page=ss.get("ver_page", 1),
    window=ss.get("ver_window"),
)
if not result.rows:
    st.info(t("verify.none_found") if search else t("verify.none"))
    st.stop()
st.caption(t("verify.count", total=result.total))
ui.search_window(result, "ver_window", "ver_page")  # more cases matched than it ranked
for row in result.rows:
    if focus is not None and row.number == focus.number:
        continue
    heading = view.case_heading(row.number, row.subject, row.status, row.urgency)
    if row.snippet:  # a search: where its words are in the case
        st.caption(ui.highlight(row.snippet))
    expander = st.expander(heading, key=f"case_{row.number}", on_change="rerun")
    # Only an open expander loads its case: the page queries what it shows.
    if expander.open:
        with expander:
            case_body(row.number, heading)

ui.pager(result, "ver_page")

"""Registrar un Caso: area, then "la opción que más se ajuste", then the form, as the manual shows."""

import uuid

import streamlit as st

from app_pages import case_view as view
from app_pages import knowledge_view as kv
from app_pages import ui
from services import cases, catalogue, knowledge
from services.errors import ServiceError

actor = ui.require_page("registrar")
t = ui.t
ss = st.session_state
SCOPE = "reg"
FORM_KEYS = ("reg_subject", "reg_description", "reg_urgency", "reg_option")


def choose_area(area_id: int) -> None:
    if ss.get("reg_area") != area_id:
        ss["reg_area"] = area_id
        ss.pop("reg_option", None)
    # Also in the address: if the process serving this tab dies, the browser reconnects to another one,
    # which finds the area here and the fields' own values in what the browser sends back.
    st.query_params["area"] = str(area_id)


def remove_file(index: int) -> None:
    files = view.pending_files(SCOPE)
    if 0 <= index < len(files):
        files.pop(index)


def start_over() -> None:
    for key in (*FORM_KEYS, "reg_area", "reg_result", "reg_ack", "reg_send_error", f"{SCOPE}_files", "reg_token"):
        ss.pop(key, None)
    st.query_params.pop("area", None)


def article_opened(article_id: int) -> None:
    """A suggestion opened: one view of the article (closing it again counts nothing)."""
    if ss.get(f"reg_kb_{article_id}"):
        ui.act(knowledge.get_article, flash="reg_kb", actor=actor, article_id=article_id, count_view=True)


def solved(article_id: int, title: str) -> None:
    """ "Esto resolvió mi problema": no case; the form goes, the article counts a case avoided."""
    ui.act(
        knowledge.solved_by_article,
        flash="reg_kb",
        actor=actor,
        article_id=article_id,
        subject=ss.get("reg_subject", ""),
    )
    if not ss.get("reg_kb_error"):
        start_over()
        ss["reg_avoided"] = title


def suggestions() -> None:
    """Artículos que pueden ayudar: the best public articles for the subject typed (and the option chosen)."""
    subject = ss.get("reg_subject", "")
    found = ui.call(knowledge.suggestions, write=False, actor=actor, subject=subject, option_id=ss.get("reg_option"))
    if not found:
        return
    with st.container(border=True, key="reg_suggestions"):
        st.markdown(f"**{t('kb.suggest.title')}**")
        st.caption(t("kb.suggest.help"))
        for row in found:
            box = st.expander(
                ui.md(row.title),
                key=f"reg_kb_{row.id}",
                on_change=article_opened,
                args=(row.id,),
                icon=":material/menu_book:",
            )
            if not box.open:
                continue  # only an opened suggestion loads its text
            with box:
                article = ui.call(knowledge.get_article, write=False, actor=actor, article_id=row.id)
                kv.show_body(article.body, key=f"kb_article_body_{row.id}")
                st.button(
                    t("kb.suggest.solved"),
                    key=f"reg_kb_solved_{row.id}",
                    type="primary",
                    on_click=solved,
                    args=(row.id, row.title),
                    icon=":material/check_circle:",
                )


def acknowledge() -> None:
    ss["reg_ack"] = True


def send() -> None:
    """Enviar caso: one transaction; the form's token makes a double click return the same case."""
    try:
        detail = ui.call(
            cases.register_case,
            actor=actor,
            uploads=ui.uploads(),
            option_id=ss.get("reg_option"),
            subject=ss.get("reg_subject", ""),
            description=ss.get("reg_description", ""),
            urgency=ss.get("reg_urgency", cases.DEFAULT_URGENCY),
            files=list(view.pending_files(SCOPE)),
            request_token=ss.get("reg_token"),
        )
    except ServiceError as exc:
        ss["reg_send_error"] = ui.error_text(exc)
        return
    for key in (*FORM_KEYS, "reg_area", "reg_send_error", f"{SCOPE}_files", "reg_token"):
        ss.pop(key, None)
    st.query_params.pop("area", None)
    ss["reg_result"] = detail.number
    ss["reg_promise"] = view.promise_line(detail)
    ss["reg_ack"] = False


st.title(t("register.title"))
ui.show_flash("reg_kb")
if avoided := ss.pop("reg_avoided", None):
    st.success(t("kb.suggest.avoided", title=avoided), icon="🎉")

if "reg_result" in ss:
    number = ss["reg_result"]
    st.success(t("register.sent", number=number), icon="✅")
    if not ss.get("reg_ack") and not ss.get("mesa_dialog_open"):

        @st.dialog(t("register.sent_title"), on_dismiss=acknowledge)
        def sent_dialog():
            st.markdown(f"### {t('register.sent', number=number)}")
            if ss.get("reg_promise"):
                st.markdown(ss["reg_promise"])
            if st.button(t("register.ok"), type="primary", key="reg_ok"):
                acknowledge()
                st.rerun()

        sent_dialog()
    else:
        try:
            detail = ui.call(cases.get_case, write=False, actor=actor, number=number)
        except ServiceError as exc:
            ui.show_error(exc)
            st.stop()
        with st.container(border=True):
            view.summary(detail)
            view.attachments_block(detail, actor)
            left, middle, _ = st.columns([1, 1, 3])
            left.button(
                t("case.attach_button"),
                icon=":material/attach_file:",
                on_click=view.open_attachments,
                args=("sum",),
                key="sum_attach",
            )
            middle.button(
                t("case.message_button"),
                icon=":material/chat:",
                on_click=view.open_message,
                args=("msg",),
                key="sum_message",
            )
        if ss.pop("msg_sent", False):
            st.success(t("case.message_sent"))
        view.attachments_dialog("sum", view.add_to_case(actor, number))
        view.message_dialog("msg", actor, number)
    st.button(t("register.new_case"), on_click=start_over, icon=":material/add:", key="reg_again")
    st.stop()

ss.setdefault("reg_token", uuid.uuid4().hex)
areas = ui.call(catalogue.list_areas, write=False)
if not areas:
    st.info(t("register.no_areas"))
    st.stop()

# A form this tab was filling in on a process that is gone (its area in the address, the session new):
# taken up again here, and the person told to check it before sending.
wanted_area = st.query_params.get("area")
if "reg_area" not in ss and wanted_area and wanted_area in {str(a.id) for a in areas}:
    ss["reg_area"] = int(wanted_area)
    st.info(t("register.restored"), icon=":material/sync:")

st.subheader(t("register.pick_area"))
columns = st.columns(len(areas))
for column, area in zip(columns, areas, strict=True):
    with column, st.container(border=True):
        chosen = ss.get("reg_area") == area.id
        st.button(
            ui.md(area.name),
            key=f"reg_area_{area.id}",
            on_click=choose_area,
            args=(area.id,),
            type="primary" if chosen else "secondary",
            width="stretch",
            icon=":material/check_circle:" if chosen else None,
        )
        st.caption(ui.md(area.description))

if ss.get("reg_area") is None:
    st.stop()

options = ui.call(catalogue.list_options, write=False, area_id=ss["reg_area"])
by_id = {o.id: o for o in options}
st.radio(
    t("register.pick_option"),
    options=list(by_id),
    format_func=lambda i: ui.md(by_id[i].name),
    captions=[ui.md(o.description) for o in options],
    index=None,
    key="reg_option",
)
if ss.get("reg_option") not in by_id:
    st.stop()

st.subheader(t("register.form"))
st.text_input(t("register.subject") + " *", key="reg_subject", max_chars=cases.MAX_SUBJECT)
suggestions()
st.text_area(t("register.description") + " *", key="reg_description", max_chars=cases.MAX_DESCRIPTION, height=180)
st.selectbox(
    t("register.urgency"),
    options=list(cases.URGENCIES),
    format_func=view.urgency_label,
    index=list(cases.URGENCIES).index(cases.DEFAULT_URGENCY),
    key="reg_urgency",
)
st.caption(t("register.required_hint"))

files = view.pending_files(SCOPE)
st.button(
    t("register.attach_count", count=len(files)) if files else t("register.attach"),
    icon=":material/attach_file:",
    on_click=view.open_attachments,
    args=(SCOPE,),
    key="reg_attach",
)
for index, file in enumerate(files):
    name_col, remove_col = st.columns([5, 1], vertical_alignment="center")
    name_col.markdown(f"📎 {ui.md(file.name)} — {ui.md(file.description) or '—'}")
    remove_col.button(
        t("register.remove"), key=f"reg_remove_{index}", on_click=remove_file, args=(index,), icon=":material/delete:"
    )
view.attachments_dialog(SCOPE, view.keep_for_registration(SCOPE))

if error := ss.get("reg_send_error"):
    ui.show_error(error)
st.button(t("register.send"), type="primary", on_click=send, icon=":material/send:", key="reg_send")

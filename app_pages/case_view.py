"""Pieces of the case screens shared by Registrar un Caso and Verificar mis Casos (not a page)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app_pages import ui
from services import cases, clock, mail_in
from services.cases import AttachmentView, CaseDetail, NewFile
from services.errors import ServiceError
from services.storage import MAX_FILES_PER_CASE, allowed_extensions, check_file

t = ui.t
md = ui.md


def read_case(read: ui.Reader, number: int) -> CaseDetail | None:
    """The case as the reader's user may see it, or None with the refusal shown ("Caso no encontrado")."""
    try:
        return read(cases.get_case, number=number)
    except ServiceError as exc:
        ui.show_error(exc)
        return None


def status_label(code: str) -> str:
    return t(f"status.{code}")


def urgency_label(code: str) -> str:
    return t(f"urgency.{code}")


def case_heading(number: int, subject: str, status: str, urgency: str) -> str:
    """Expander header: number, subject, status and urgency, with the user's subject made inert."""
    return f"**#{number}** · {md(subject)} · {md(status_label(status))} · {md(urgency_label(urgency))}"


def _download(attachment: AttachmentView, actor) -> None:
    read = ui.deferred(cases.read_attachment, actor=actor, storage=ui.uploads().storage, attachment_id=attachment.id)
    st.download_button(
        f"{md(attachment.name)} ({ui.file_size(attachment.size_bytes)})",
        data=lambda: read()[2],
        file_name=attachment.name,
        mime=attachment.content_type,
        key=f"dl_{attachment.id}",
        icon=":material/download:",
        on_click="ignore",
    )


def attachments_block(detail: CaseDetail, actor) -> None:
    st.markdown(f"**{t('case.attachments')}**")
    if not detail.attachments:
        st.caption(t("case.no_attachments"))
    for attachment in detail.attachments:
        left, right = st.columns([2, 3], vertical_alignment="center")
        with left:
            _download(attachment, actor)
        with right:
            st.caption(md(attachment.description) or "—")


def summary(detail: CaseDetail) -> None:
    """Number, area, option, subject, description, urgency, status with its date, advisor."""
    st.subheader(t("case.number", number=detail.number))
    top = st.columns(4)
    top[0].markdown(f"**{t('case.area')}**  \n{md(detail.area)}")
    top[1].markdown(f"**{t('case.option')}**  \n{md(detail.option)}")
    top[2].markdown(f"**{t('case.urgency')}**  \n{md(urgency_label(detail.urgency))}")
    top[3].markdown(
        f"**{t('case.status')}**  \n{md(t('case.status_since', status=status_label(detail.status), when=ui.when(detail.status_changed_at)))}"
    )
    second = st.columns(2)
    second[0].markdown(f"**{t('case.created')}**  \n{md(ui.when(detail.created_at))}")
    second[1].markdown(f"**{t('case.assignee')}**  \n{md(detail.assignee or t('case.unassigned'))}")
    st.markdown(f"**{t('case.subject')}**  \n{md(detail.subject)}")
    st.markdown(f"**{t('case.description')}**")
    st.markdown(md(detail.description))
    if detail.solution:
        st.markdown(f"**{t('case.solution')}**")
        st.markdown(md(detail.solution))
    if line := promise_line(detail):
        st.info(line, icon=":material/schedule:")


def promise_line(detail: CaseDetail) -> str:
    """For its requester, while open: where the case stands in the queue, and when cases like it get
    resolved ("9 de cada 10 … antes del jueves 4 de diciembre, 11:00"), or the SLA when history is short."""
    if detail.queue_position is None or detail.promised_at is None:
        return ""
    key = "case.promise.history" if detail.promise_basis == "history" else "case.promise.sla"
    return t(key, position=detail.queue_position, when=clock.spoken(detail.promised_at, ui.language()))


def timeline(detail: CaseDetail, actor=None) -> None:
    """The case's history; the staff also get the original .eml of what came by e-mail (for audit)."""
    st.markdown(f"**{t('case.timeline')}**")
    for event in detail.events:
        who = f" {t('event.by', name=event.actor)}" if event.actor else ""
        kind = "closed_auto" if event.kind == "closed" and (event.detail or {}).get("by") == "auto" else event.kind
        if "mail" in (event.detail or {}):
            kind += "_mail"  # it came by e-mail (services/mail_in.py)
        line = f"- {md(ui.when(event.created_at))} · {md(t(f'event.{kind}'))}{md(who)}"
        if extra := _event_detail(event):
            line += f"  \n  :gray[{md(extra)}]"
        st.markdown(line)
        inbound = ((event.detail or {}).get("mail") or {}).get("inbound")
        if inbound and actor is not None and detail.actions.see_internal:
            _original_email(inbound, actor)


def _original_email(inbound_id: int, actor) -> None:
    read = ui.deferred(mail_in.raw_email, actor=actor, storage=ui.uploads().storage, inbound_id=inbound_id)
    st.download_button(
        t("case.original_email"),
        data=lambda: read()[1],
        file_name=f"correo-{inbound_id}.eml",
        mime="message/rfc822",
        key=f"eml_{inbound_id}",
        icon=":material/mail:",
        type="tertiary",
        on_click="ignore",
    )


def _event_detail(event) -> str:
    detail = event.detail or {}
    if event.kind == "assigned" and detail.get("to"):
        return t("event.assigned_detail", name=detail["to"])
    if event.kind == "status_changed" and detail.get("target"):
        return t("event.status_detail", source=status_label(detail["source"]), target=status_label(detail["target"]))
    if event.kind == "reclassified":

        def text(side):
            part = detail.get(side, {})
            return f"{part.get('area', '')} · {part.get('option', '')} · {urgency_label(part.get('urgency', 'medium'))}"

        return t(
            "event.reclassified_detail", before=text("before"), after=text("after"), reason=detail.get("reason", "")
        )
    if event.kind in ("reopened",) and detail.get("comment"):
        return detail["comment"]
    if refused := (detail.get("mail") or {}).get("refused"):
        return t("event.mail_refused", files="; ".join(f"{r['name']}: {r['why']}" for r in refused))
    return ""


def conversation(detail: CaseDetail, actor, *, staff: bool = False) -> None:
    st.markdown(f"**{t('case.conversation_staff' if staff else 'case.conversation')}**")
    if not detail.messages:
        st.caption(t("case.no_messages"))
    for message in detail.messages:
        with st.chat_message(
            "user" if message.author_is_requester else "assistant",
            avatar=":material/person:" if message.author_is_requester else ":material/support_agent:",
        ):
            badge = f" · :orange-badge[{t('work.internal_badge')}]" if message.internal else ""
            st.markdown(f"**{md(message.author)}** · {md(ui.when(message.created_at))}{badge}")
            st.markdown(md(message.body))
            for attachment in message.attachments:
                _download(attachment, actor)


# --- The "Archivos Adjuntos" dialog -------------------------------------------------------------
# Opened by a flag set in the button's callback (AppTest can drive it), closed by its own button
# or the X. In the registration scope files wait in session state until **Enviar caso**; in a
# case's scope each saved file goes to the case at once.


def open_attachments(scope: str) -> None:
    st.session_state[f"{scope}_dialog"] = True
    st.session_state.pop(f"{scope}_error", None)


def close_attachments(scope: str) -> None:
    st.session_state[f"{scope}_dialog"] = False


def pending_files(scope: str) -> list[NewFile]:
    return st.session_state.setdefault(f"{scope}_files", [])


def _save_pending(scope: str, store: Callable[[NewFile], str | None]) -> None:
    n = st.session_state.get(f"{scope}_n", 0)
    uploaded = st.session_state.get(f"{scope}_up_{n}")
    description = st.session_state.get(f"{scope}_desc_{n}", "")
    if uploaded is None:
        st.session_state[f"{scope}_error"] = t("attach.pick_first")
        return
    new = NewFile(name=uploaded.name, data=uploaded.getvalue(), description=description)
    error = store(new)
    if error:
        st.session_state[f"{scope}_error"] = error
        return
    st.session_state.pop(f"{scope}_error", None)
    st.session_state[f"{scope}_saved"] = t("attach.saved", name=md(new.name))
    st.session_state[f"{scope}_n"] = n + 1  # fresh, empty widgets for the next file


def keep_for_registration(scope: str) -> Callable[[NewFile], str | None]:
    """Check a file now (same rules as the service) and keep it until the case is sent."""

    def store(new: NewFile) -> str | None:
        files = pending_files(scope)
        if len(files) >= MAX_FILES_PER_CASE:
            return t("attachment.too_many", max=MAX_FILES_PER_CASE)
        try:
            check_file(name=new.name, data=new.data, description=new.description, max_mb=ui.settings().max_upload_mb)
        except ServiceError as exc:
            return ui.error_text(exc)
        files.append(new)
        return None

    return store


def add_to_case(actor, number: int) -> Callable[[NewFile], str | None]:
    def store(new: NewFile) -> str | None:
        try:
            ui.call(cases.add_attachments, actor=actor, uploads=ui.uploads(), number=number, files=[new])
        except ServiceError as exc:
            return ui.error_text(exc)
        return None

    return store


def attachments_dialog(scope: str, store: Callable[[NewFile], str | None]) -> None:
    if not st.session_state.get(f"{scope}_dialog"):
        return

    def body() -> None:
        n = st.session_state.get(f"{scope}_n", 0)
        limit = ui.settings().max_upload_mb
        st.file_uploader(
            t("attach.pick"),
            key=f"{scope}_up_{n}",
            type=None,
            help=t("attach.pick_help", allowed=", ".join(allowed_extensions()), max=limit, count=MAX_FILES_PER_CASE),
        )
        # Streamlit's own note under the uploader gives its limit (twice ours, see server.py), in English.
        st.html("<style>[data-testid='stFileUploaderDropzoneInstructions'] {display: none;}</style>")
        st.caption(t("attach.limit", max=limit, count=MAX_FILES_PER_CASE))
        st.text_input(t("attach.description"), key=f"{scope}_desc_{n}", max_chars=500)
        st.button(t("attach.save"), key=f"{scope}_save", on_click=_save_pending, args=(scope, store), type="primary")
        if error := st.session_state.get(f"{scope}_error"):
            ui.show_error(error)
        elif saved := st.session_state.pop(f"{scope}_saved", None):
            st.success(saved)
        files = pending_files(scope)
        for file in files:
            st.markdown(f"📎 {md(file.name)} — {md(file.description) or '—'}")
        # Closing needs a full rerun: a dialog stays open through its own (fragment) reruns.
        if st.button(t("attach.close"), key=f"{scope}_close"):
            close_attachments(scope)
            st.rerun()

    st.dialog(t("attach.dialog_title"), on_dismiss=lambda: close_attachments(scope))(body)()


def message_dialog(scope: str, actor, number: int) -> None:
    """The summary's **Mensaje**: a message to the case's advisor (or the area's queue)."""
    if not st.session_state.get(f"{scope}_dialog"):
        return

    def send() -> None:
        try:
            ui.call(
                cases.post_message,
                actor=actor,
                uploads=ui.uploads(),
                number=number,
                body=st.session_state.get(f"{scope}_body", ""),
            )
        except ServiceError as exc:
            st.session_state[f"{scope}_error"] = ui.error_text(exc)
            return
        st.session_state[f"{scope}_body"] = ""
        st.session_state[f"{scope}_dialog"] = False
        st.session_state[f"{scope}_sent"] = True

    def body() -> None:
        if not st.session_state.get(f"{scope}_dialog"):
            st.rerun()  # sent: a full rerun closes the dialog and shows the new message
        st.text_area(t("case.message_body"), key=f"{scope}_body", max_chars=cases.MAX_MESSAGE, height=160)
        st.button(t("case.message_send"), key=f"{scope}_send", type="primary", on_click=send)
        if error := st.session_state.get(f"{scope}_error"):
            ui.show_error(error)

    st.dialog(t("case.message_dialog"), on_dismiss=lambda: close_attachments(scope))(body)()


def open_message(scope: str) -> None:
    st.session_state[f"{scope}_dialog"] = True
    st.session_state.pop(f"{scope}_error", None)


def case_page_for(actor, *, as_requester: bool) -> str:
    """Where a case opens: the staff's work view in the inbox, or the requester's own cases page."""
    return "app_pages/bandeja.py" if actor.is_staff and not as_requester else "app_pages/verificar.py"

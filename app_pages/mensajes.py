"""Mensajes: notifications about the user's cases, newest first; opening one marks it read."""

import streamlit as st

from app_pages import case_view as view
from app_pages import ui
from services import notifications
from services.errors import ServiceError

actor = ui.require_page("mensajes")
t = ui.t
ss = st.session_state


def mark_all() -> None:
    ss["notif_marked"] = ui.call(notifications.mark_all_read, actor=actor)
    st.rerun()  # the whole page: the menu's "Mensajes (n)" is outside this list's fragment


@ui.fragment
def notification_list() -> None:
    """The count, Marcar todas, one page of notifications and the pager: the pager reruns this alone."""
    result = ui.call(notifications.list_notifications, write=False, actor=actor, page=ss.get("notif_page", 1))
    top_left, top_right = st.columns([3, 2], vertical_alignment="center")
    top_left.markdown(t("notif.count", unread=result.unread, total=result.total))
    top_right.button(
        t("notif.mark_all"),
        on_click=mark_all,
        disabled=result.unread == 0,
        icon=":material/done_all:",
        key="notif_mark_all",
    )
    if (marked := ss.pop("notif_marked", None)) is not None:
        st.success(t("notif.marked_all", count=marked))
    if not result.rows:
        st.info(t("notif.none"))

    opened = None
    for row in result.rows:
        with st.container(border=True):
            text_col, button_col = st.columns([5, 1], vertical_alignment="center")
            marker = "🔵 " if not row.read else ""
            line = t(f"notif.{row.kind}", **{k: v for k, v in row.detail.items() if isinstance(v, (str, int))})
            text_col.markdown(
                f"{marker}{'**' if not row.read else ''}{ui.md(line)}{'**' if not row.read else ''}  \n"
                f":gray[{ui.md(ui.when(row.created_at))}]"
            )
            if button_col.button(t("notif.open"), key=f"notif_{row.id}", icon=":material/open_in_new:"):
                opened = row.id

    if opened is not None:
        try:
            link = ui.call(notifications.open_notification, actor=actor, notification_id=opened)
        except ServiceError as exc:
            ui.show_error(exc)
        else:
            if link is not None:
                st.switch_page(
                    view.case_page_for(actor, as_requester=link.as_requester), query_params={"caso": link.number}
                )
            st.rerun()  # the whole page: it was read, and the menu's "Mensajes (n)" is outside this fragment

    ui.pager(result, "notif_page")


st.title(t("notif.title"))
st.caption(t("notif.intro"))
notification_list()

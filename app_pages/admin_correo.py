"""Administración → Correo: what leaves (SMTP settings, a test e-mail, the outbox with retry and bounces)
and what arrives (IMAP settings, "Probar conexión", each reader's last poll, and the held e-mails an
admin accepts into a case, turns into a case or discards)."""

import pandas as pd
import streamlit as st

from app_pages import ui
from services import catalogue, mail_in, outbox, reports
from services.errors import ServiceError

actor = ui.require_page("admin_correo")
t = ui.t
md = ui.md
config = ui.settings()
ss = st.session_state


def settings_table(rows: list[tuple[str, str]]) -> None:
    st.dataframe(
        pd.DataFrame(rows, columns=[t("admin.mail.setting"), t("admin.mail.value")]).map(reports.inert_cell),
        hide_index=True,
    )


def figures(counts: dict[str, int], statuses: tuple[str, ...], prefix: str) -> None:
    """The queue's figures in one line that wraps on a phone (five metric cards would fill its screen)."""
    st.markdown(" · ".join(f"**{counts[status]}** {t(f'{prefix}.{status}').lower()}" for status in statuses))


st.title(t("admin.mail.title"))
ui.show_flash("mail_in")
counts_in = ui.call(mail_in.inbound_counts, write=False, actor=actor)
held_label = t("admin.mail.in_tab", count=counts_in["held"])
out_tab, in_tab = st.tabs([t("admin.mail.out_tab"), held_label])
yes, no = t("admin.mail.yes"), t("admin.mail.no")

with out_tab:
    settings_table(
        [
            ("MESA_SMTP_HOST", config.smtp_host or t("admin.mail.none")),
            ("MESA_SMTP_PORT", str(config.smtp_port)),
            ("MESA_SMTP_USER", config.smtp_user or "—"),
            ("MESA_SMTP_PASSWORD", "••••••••" if config.smtp_password else "—"),
            ("MESA_SMTP_STARTTLS", yes if config.smtp_starttls else no),
            ("MESA_SMTP_SSL", yes if config.smtp_ssl else no),
            ("MESA_MAIL_FROM", config.mail_from),
            ("MESA_ORG_NAME", config.org_name),
        ]
    )
    if not config.smtp_host:
        st.info(t("admin.mail.no_host"))

    with st.form("test_mail"):
        address = st.text_input(t("admin.mail.test_to"), value=actor.email)
        if st.form_submit_button(t("admin.mail.test_send"), type="primary", icon=":material/send:"):
            try:
                ui.call(outbox.queue_test_email, actor=actor, to_address=address, org_name=config.org_name)
            except ServiceError as exc:
                ui.show_error(exc)
            else:
                report = outbox.deliver_pending(ui.engine(), config)
                if not config.smtp_host:
                    st.info(t("admin.mail.queued"))
                elif report.failed:
                    ui.show_error(t("admin.mail.test_failed"))
                else:
                    st.success(t("admin.mail.test_sent", address=md(address)))

    counts = ui.call(outbox.outbox_counts, write=False, actor=actor)
    figures(counts, ("pending", "sending", "failed", "sent", "bounced"), "admin.mail.status")
    status = st.selectbox(
        t("admin.mail.filter"),
        [None, "pending", "failed", "sent", "sending", "bounced"],
        key="mail_status",
        format_func=lambda s: t("report.all") if s is None else t(f"admin.mail.status.{s}"),
    )
    rows = ui.call(outbox.list_outbox, write=False, actor=actor, status=status)
    if not rows:
        st.caption(t("admin.mail.empty"))
    for row in rows:
        with st.container(border=True):
            text_col, button_col = st.columns([5, 1], vertical_alignment="center")
            shown = t("admin.mail.status.bounced") if row.bounced_at else t(f"admin.mail.status.{row.status}")
            text_col.markdown(
                f"**{md(row.subject)}**  \n{md(row.to_address)} · {shown} · "
                f"{t('admin.mail.attempts', count=row.attempts)} · {md(ui.when(row.sent_at or row.next_attempt_at))}"
            )
            if row.bounce_reason or row.last_error:
                text_col.caption(md(row.bounce_reason or row.last_error))
            if row.status in ("failed", "pending") and button_col.button(t("admin.mail.retry"), key=f"retry_{row.id}"):
                ui.call(outbox.retry_email, actor=actor, email_id=row.id)
                st.rerun()


def handle(service, done: str, **kwargs) -> None:
    ui.act(service, done=done, flash="mail_in", actor=actor, **kwargs)


def held_actions(row: mail_in.InboundView, areas: dict[int, str]) -> None:
    """Accept into a case, create a case, or discard: each with what it needs, in one row."""
    number_col, accept_col = st.columns([2, 1], vertical_alignment="bottom")
    number_col.number_input(
        t("admin.mail_in.case_number"), min_value=1, step=1, value=row.case_number, key=f"in_case_{row.id}"
    )
    accept_col.button(
        t("admin.mail_in.accept"),
        key=f"in_accept_{row.id}",
        icon=":material/move_to_inbox:",
        on_click=lambda: handle(
            mail_in.accept_into_case,
            t("admin.mail_in.accepted"),
            uploads=ui.uploads(),
            config=config,
            inbound_id=row.id,
            number=ss.get(f"in_case_{row.id}"),
        ),
    )
    area_col, requester_col, create_col = st.columns([2, 2, 1], vertical_alignment="bottom")
    area_col.selectbox(
        t("case.area"),
        list(areas),
        format_func=areas.get,
        index=None,
        key=f"in_area_{row.id}",
        placeholder=t("common.choose"),
    )
    requester_col.text_input(
        t("admin.mail_in.requester"), key=f"in_requester_{row.id}", help=t("admin.mail_in.requester_help")
    )
    create_col.button(
        t("admin.mail_in.create"),
        key=f"in_create_{row.id}",
        icon=":material/add_circle:",
        on_click=lambda: handle(
            mail_in.create_case_from,
            t("admin.mail_in.created"),
            uploads=ui.uploads(),
            config=config,
            inbound_id=row.id,
            area_id=ss.get(f"in_area_{row.id}"),
            requester=(ss.get(f"in_requester_{row.id}") or "").strip() or None,
        ),
    )
    st.button(
        t("admin.mail_in.discard"),
        key=f"in_discard_{row.id}",
        icon=":material/delete:",
        on_click=lambda: handle(mail_in.discard, t("admin.mail_in.discarded"), inbound_id=row.id),
    )


with in_tab:
    if not config.imap_host:
        st.info(t("admin.mail.imap_none"))
    test_col, readers_col = st.columns([1, 3], vertical_alignment="center")
    if test_col.button(t("admin.mail_in.test"), icon=":material/lan:", disabled=not config.imap_host):
        ok, answer = mail_in.test_connection(actor=actor, config=config)
        (st.success if ok else st.error)(md(answer))
    with readers_col:
        for reader in ui.call(mail_in.readers, write=False, actor=actor):
            line = t(
                "admin.mail_in.reader",
                name=md(reader.name),
                last=md(ui.when(reader.last_poll_at)) if reader.last_poll_at else "—",
                ok=md(ui.when(reader.last_ok_at)) if reader.last_ok_at else "—",
                count=reader.imported,
            )
            if reader.last_error:
                st.warning(f"{line}  \n{md(reader.last_error)}", icon=":material/error:")
            else:
                st.caption(line)
    with st.expander(t("admin.mail_in.settings")):
        settings_table(
            [
                ("MESA_IMAP_HOST", config.imap_host or t("admin.mail.none")),
                ("MESA_IMAP_PORT", str(config.imap_port)),
                ("MESA_IMAP_SECURITY", config.imap_security),
                ("MESA_IMAP_USER", config.imap_user or "—"),
                ("MESA_IMAP_PASSWORD", "••••••••" if config.imap_password else "—"),
                ("MESA_IMAP_FOLDER", config.imap_folder),
                ("MESA_IMAP_POLL_SECONDS", str(config.imap_poll_seconds)),
                ("MESA_MAIL_REPLY_TO", config.mail_reply_to or config.mail_from),
                ("MESA_MAIL_PLUS_ADDRESSING", yes if config.mail_plus_addressing else no),
            ]
        )
    figures(counts_in, ("held", "message", "new_case", "ignored", "bounce", "discarded"), "admin.mail_in.count")
    shown = st.selectbox(
        t("admin.mail.filter"),
        ["held", None, "message", "new_case", "ignored", "bounce", "discarded"],
        key="mail_in_status",
        format_func=lambda s: t("report.all") if s is None else t(f"mail_in.status.{s}"),
    )
    inbound = ui.call(mail_in.list_inbound, write=False, actor=actor, status=shown)
    if not inbound:
        st.caption(t("admin.mail_in.empty"))
    areas = {a.id: a.name for a in ui.call(catalogue.list_areas, write=False)}
    for row in inbound:
        with st.container(border=True):
            sender = f"{row.from_name} <{row.from_address}>" if row.from_name else row.from_address
            case = f" · {t('mail.case_tag', number=row.case_number)}" if row.case_number else ""
            st.markdown(
                f"**{md(row.subject or t('mail_in.no_subject'))}**  \n{md(sender)} · "
                f"{md(ui.when(row.imported_at))} · {t(f'mail_in.status.{row.status}')}{md(case)}"
            )
            if row.reason:
                st.caption(md(t(f"mail_in.reason.{row.reason}")))
            if row.body:
                st.text(row.body[:2000])
            read = ui.deferred(mail_in.raw_email, actor=actor, storage=ui.uploads().storage, inbound_id=row.id)
            st.download_button(
                t("admin.mail_in.download", size=ui.file_size(row.raw_size)),
                data=lambda read=read: read()[1],
                file_name=f"correo-{row.id}.eml",
                mime="message/rfc822",
                key=f"in_eml_{row.id}",
                icon=":material/download:",
                on_click="ignore",
            )
            if row.status == "held":
                held_actions(row, areas)

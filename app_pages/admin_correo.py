"""Administración → Correo: the SMTP settings in effect, a test e-mail, and the outbox with retry."""

import pandas as pd
import streamlit as st

from app_pages import ui
from services import outbox, reports
from services.errors import ServiceError

actor = ui.require_page("admin_correo")
t = ui.t
config = ui.settings()

st.title(t("admin.mail.title"))
yes, no = t("admin.mail.yes"), t("admin.mail.no")
st.dataframe(
    pd.DataFrame(
        [
            ("MESA_SMTP_HOST", config.smtp_host or t("admin.mail.none")),
            ("MESA_SMTP_PORT", str(config.smtp_port)),
            ("MESA_SMTP_USER", config.smtp_user or "—"),
            ("MESA_SMTP_PASSWORD", "••••••••" if config.smtp_password else "—"),
            ("MESA_SMTP_STARTTLS", yes if config.smtp_starttls else no),
            ("MESA_SMTP_SSL", yes if config.smtp_ssl else no),
            ("MESA_MAIL_FROM", config.mail_from),
            ("MESA_ORG_NAME", config.org_name),
        ],
        columns=[t("admin.mail.setting"), t("admin.mail.value")],
    ).map(reports.inert_cell),
    hide_index=True,
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
                st.success(t("admin.mail.test_sent", address=ui.md(address)))

counts = ui.call(outbox.outbox_counts, write=False, actor=actor)
columns = st.columns(4)
for column, status in zip(columns, ("pending", "sending", "failed", "sent"), strict=True):
    column.metric(t(f"admin.mail.status.{status}"), counts[status], border=True)
status = st.selectbox(
    t("admin.mail.filter"),
    [None, "pending", "failed", "sent", "sending"],
    key="mail_status",
    format_func=lambda s: t("report.all") if s is None else t(f"admin.mail.status.{s}"),
)
rows = ui.call(outbox.list_outbox, write=False, actor=actor, status=status)
if not rows:
    st.caption(t("admin.mail.empty"))
for row in rows:
    with st.container(border=True):
        text_col, button_col = st.columns([5, 1], vertical_alignment="center")
        text_col.markdown(
            f"**{ui.md(row.subject)}**  \n{ui.md(row.to_address)} · {t(f'admin.mail.status.{row.status}')} · "
            f"{t('admin.mail.attempts', count=row.attempts)} · {ui.md(ui.when(row.sent_at or row.next_attempt_at))}"
        )
        if row.last_error:
            text_col.caption(ui.md(row.last_error))
        if row.status in ("failed", "pending") and button_col.button(t("admin.mail.retry"), key=f"retry_{row.id}"):
            ui.call(outbox.retry_email, actor=actor, email_id=row.id)
            st.rerun()

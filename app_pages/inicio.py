"""Inicio: greets the user and shows what needs their attention."""

import streamlit as st

from app_pages import case_view as view
from app_pages import common as ui
from services import cases

actor = ui.require_actor()
t = ui.t

st.title(t("home.greeting", name=ui.md(actor.full_name)))
st.write(t("home.intro"))

open_cases = ui.call(cases.count_my_open_cases, write=False, actor=actor)
recent = ui.call(cases.list_my_cases, write=False, actor=actor, include_closed=True, page_size=5)

figure, actions = st.columns([1, 2], vertical_alignment="center")
figure.metric(t("home.open_cases"), open_cases, border=True)
with actions:
    st.page_link("app_pages/registrar.py", label=t("home.register"), icon=":material/add_circle:")
    st.page_link("app_pages/verificar.py", label=t("home.verify"), icon=":material/fact_check:")

st.subheader(t("home.recent"))
if not recent.rows:
    st.caption(t("home.no_cases"))
for row in recent.rows:
    st.markdown(
        f"- [{view.case_heading(row.number, row.subject, row.status, row.urgency)}](/verificar?caso={row.number})"
        f" — {ui.md(ui.when(row.last_activity_at))}"
    )

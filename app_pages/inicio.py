"""Inicio: greets the user and shows what needs their attention."""

import streamlit as st

from app_pages import case_view as view
from app_pages import ui
from services import cases, screens

actor = ui.require_page("inicio")
t = ui.t

st.title(t("home.greeting", name=ui.md(actor.full_name)))
st.write(t("home.intro"))

with ui.reading(actor) as read:
    open_cases = read(cases.count_my_open_cases)
    recent = read(cases.list_my_cases, include_closed=True, page_size=5)

figure, actions = st.columns([1, 2], vertical_alignment="center")
# The figure as text, not st.metric: a metric makes the browser fetch and parse its chart and number
# libraries right after the login, the moment a person waits for this page.
with figure.container(border=True):
    st.markdown(t("home.open_cases"))
    st.header(str(open_cases), anchor=False)
with actions:
    st.page_link(ui.page_script("registrar"), label=t("home.register"), icon=":material/add_circle:")
    st.page_link(ui.page_script("verificar"), label=t("home.verify"), icon=":material/fact_check:")

st.subheader(t("home.recent"))
if not recent.rows:
    st.caption(t("home.no_cases"))
for row in recent.rows:
    link = screens.url("verificar", caso=row.number)
    st.markdown(
        f"- [{view.case_heading(row.number, row.subject, row.status, row.urgency)}]({link})"
        f" — {ui.md(ui.when(row.last_activity_at))}"
    )

"""Informes → Conocimiento: what the base answers and what it does not — searches that found nothing (the
articles to write next), the most read and most helpful articles, and the cases avoided by the
suggestions while registering, per month."""

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st
from babel.dates import format_date

from app_pages import ui
from services import knowledge, reports

actor = ui.require_page("informe_conocimiento")
t = ui.t

st.title(t("kb.report.title"))
data = ui.call(knowledge.report, write=False, actor=actor)

total = st.columns(3)
total[0].metric(t("kb.report.avoided_total"), data.avoided_total, border=True)
total[1].metric(t("kb.report.unanswered_count"), sum(n for _, n in data.unanswered), border=True)
total[2].metric(t("kb.report.viewed_total"), sum(v for _, _, v in data.most_viewed), border=True)

st.subheader(t("kb.report.avoided"))
if not data.avoided_by_month:
    st.caption(t("kb.report.nothing"))
else:
    locale = "en" if ui.language() == "en" else "es_CO"
    months = [format_date(date(int(m[:4]), int(m[5:]), 1), "MMM y", locale=locale) for m, _ in data.avoided_by_month]
    frame = pd.DataFrame({"mes": months, "casos": [n for _, n in data.avoided_by_month]})
    st.altair_chart(
        alt.Chart(frame)
        .mark_bar(color="#2e7d32")
        .encode(
            x=alt.X("mes:N", title=t("kb.report.month"), sort=None),
            y=alt.Y("casos:Q", title=t("kb.report.cases_avoided"), axis=alt.Axis(tickMinStep=1, format="d")),
            tooltip=["mes", "casos"],
        ),
        width="stretch",
    )


def table(rows: list[tuple], columns: list[str]) -> None:
    if not rows:
        st.caption(t("kb.report.nothing"))
        return
    frame = pd.DataFrame(rows, columns=[t(c) for c in columns])
    st.dataframe(frame.map(reports.inert_cell), hide_index=True, width="stretch")


st.subheader(t("kb.report.unanswered"))
st.caption(t("kb.report.unanswered_help"))
table(data.unanswered, ["kb.report.words", "kb.report.times"])
left, right = st.columns(2)
with left:
    st.subheader(t("kb.report.most_viewed"))
    table([(title, views) for _, title, views in data.most_viewed], ["kb.report.article", "kb.report.views"])
with right:
    st.subheader(t("kb.report.most_helpful"))
    table(
        [(title, yes, no) for _, title, yes, no in data.most_helpful],
        ["kb.report.article", "kb.report.yes", "kb.report.no"],
    )

"""Satisfacción: key figures, charts and exports for managers and admins (SQL aggregates only)."""

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import ui
from app_pages.case_view import urgency_label
from services import cases, clock, reports
from services.errors import ServiceError

actor = ui.require_page("satisfaccion")
t = ui.t
COUNT_AXIS = alt.Axis(tickMinStep=1, format="d")


def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def number(value, digits=1) -> str:
    return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")


st.title(t("report.title"))
choices = ui.call(reports.filter_choices, write=False, actor=actor)
today = clock.local_now().date()
# A row that wraps: the date range keeps its width (columns cut its second year at 700 px).
row = st.container(horizontal=True, vertical_alignment="bottom")
dates = row.date_input(
    t("report.dates"),
    value=(today - timedelta(days=90), today),
    format="DD/MM/YYYY",
    key="report_dates",
    width=250,
)
areas, options, advisors = (dict(choices[k]) for k in ("areas", "options", "advisors"))


def narrowed_to(label_key: str, names: dict, key: str, width: int):
    """One of the filters: everything (None) or one of `names` by id."""
    return row.selectbox(
        t(label_key), [None, *names], format_func=lambda v: names.get(v, t("report.all")), key=key, width=width
    )


area_id = narrowed_to("report.area", areas, "report_area", 200)
option_id = narrowed_to("report.option", options, "report_option", 240)
advisor_id = narrowed_to("report.advisor", advisors, "report_advisor", 220)
if not isinstance(dates, tuple) or len(dates) != 2:
    st.info(t("report.pick_range"))
    st.stop()
filters = reports.ReportFilters(
    start=dates[0], end=dates[1], area_id=area_id, option_id=option_id, advisor_id=advisor_id
)


@st.cache_data(ttl=300, show_spinner=t("report.loading"))
def figures_for(database_url: str, who, chosen: reports.ReportFilters):
    """Five minutes of memory per filter: a million cases take seconds to aggregate the first time.

    "Borrar caché" in Mi cuenta forgets them at once.
    """
    return (
        ui.call(reports.key_figures, write=False, actor=who, filters=chosen),
        ui.call(reports.charts, write=False, actor=who, filters=chosen),
        ui.call(reports.latest_comments, write=False, actor=who, filters=chosen, language=who.language),
    )


try:
    figures, data, comments = figures_for(ui.settings().database_url, actor, filters)
except ServiceError as exc:
    ui.show_error(exc)
    st.stop()

# Nine figures in a row that wraps: four a row on a wide screen, two at 700 px, one on a phone, each
# wide enough for its whole label (columns squeezed them to "Encuestas respon…" on narrow screens).
tiles = st.container(horizontal=True, gap="small")
tile = {"border": True, "width": 250}
tiles.metric(t("report.answered"), figures.answered, **tile)
tiles.metric(t("report.csat"), percent(figures.csat), help=t("report.csat_help"), **tile)
tiles.metric(t("report.average"), number(figures.average_rating), **tile)
tiles.metric(t("report.no_rate"), percent(figures.no_rate), help=t("report.no_rate_help"), **tile)
tiles.metric(t("report.first_contact"), percent(figures.first_contact), help=t("report.first_contact_help"), **tile)
tiles.metric(t("report.median_resolution"), number(figures.median_resolution_hours), help=t("report.hours"), **tile)
tiles.metric(t("report.sla"), percent(figures.sla_compliance), help=t("report.sla_help"), **tile)
tiles.metric(
    t("report.first_response"), percent(figures.first_response_compliance), help=t("report.first_response_help"), **tile
)
tiles.metric(t("report.without_answer"), figures.closed_without_answer, **tile)

left, right = st.columns(2)
with left:
    st.subheader(t("report.ratings_chart"))
    if data["ratings"].empty:
        st.caption(t("report.no_data"))
    else:
        # Always the five grades, and whole numbers of answers (no "0,5 respuestas" tick).
        st.altair_chart(
            alt.Chart(data["ratings"])
            .mark_bar()
            .encode(
                x=alt.X(
                    "estrellas:O",
                    title=t("report.stars"),
                    scale=alt.Scale(domain=[1, 2, 3, 4, 5]),
                    axis=alt.Axis(labelAngle=0),
                ),
                y=alt.Y("respuestas:Q", title=t("report.answers"), axis=COUNT_AXIS),
            ),
            width="stretch",
        )
with right:
    st.subheader(t("report.months_chart"))
    months = data["months"]
    if months.empty:
        st.caption(t("report.no_data"))
    else:
        bars = (
            alt.Chart(months)
            .mark_bar(opacity=0.35)
            .encode(
                x=alt.X("mes:O", title=t("report.month")),
                y=alt.Y("respuestas:Q", title=t("report.answers"), axis=COUNT_AXIS),
            )
        )
        line = (
            alt.Chart(months)
            .mark_line(point=True, color="#0b5cad")
            .encode(
                x="mes:O", y=alt.Y("csat:Q", title="CSAT", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
            )
        )
        st.altair_chart(alt.layer(bars, line).resolve_scale(y="independent"), width="stretch")

left, right = st.columns(2)
for column, key, label, field in (
    (left, "areas", "report.areas_chart", "área"),
    (right, "advisors", "report.advisors_chart", "asesor"),
):
    with column:
        st.subheader(t(label))
        frame = data[key].dropna(subset=["csat"])
        if frame.empty:
            st.caption(t("report.no_data"))
        else:
            st.altair_chart(
                alt.Chart(frame)
                .mark_bar()
                .encode(
                    x=alt.X("csat:Q", title="CSAT", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                    y=alt.Y(f"{field}:N", title=None, sort="-x"),
                    tooltip=[field, "respuestas", "csat"],
                ),
                width="stretch",
            )

st.subheader(t("report.urgency_chart"))
urgency = data["urgency"]
if urgency.empty:
    st.caption(t("report.no_data"))
else:
    urgency = urgency.assign(urgencia=urgency["urgencia"].map(urgency_label))
    st.altair_chart(
        alt.Chart(urgency)
        .mark_bar()
        .encode(
            x=alt.X("horas_promedio:Q", title=t("report.hours"), axis=alt.Axis(format=",.1f")),
            y=alt.Y("urgencia:N", title=None, sort=[urgency_label(u) for u in reversed(cases.URGENCIES)]),
            tooltip=["urgencia", "horas_promedio", "casos"],
        ),
        width="stretch",
    )

st.subheader(t("report.promise_chart"))
st.caption(t("report.promise_help"))
promise = ui.call(reports.promise_calibration, write=False, actor=actor)
kept = [row for row in promise if row.promised]
if not kept:
    st.caption(t("report.no_data"))
else:
    frame = pd.DataFrame(
        {
            "área": [row.area for row in kept],
            "cumplida": [row.observed for row in kept],
            "casos": [row.promised for row in kept],
        }
    )
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "cumplida:Q", title=t("report.promise_kept"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            y=alt.Y("área:N", title=None),
            tooltip=["área", alt.Tooltip("cumplida:Q", format=".0%"), "casos"],
        )
    )
    promised = alt.Chart(pd.DataFrame({"meta": [0.9]})).mark_rule(strokeDash=[4, 4], color="#c0392b").encode(x="meta:Q")
    st.altair_chart(alt.layer(bars, promised), width="stretch")

st.subheader(t("report.comments"))
if comments.empty:
    st.caption(t("report.no_data"))
else:
    # Readable columns: stars instead of a number (none after a "No"), the organisation's local time.
    shown = comments.assign(
        calificación=["★" * int(r) if r == r and r else "—" for r in comments["calificación"]],
        fecha=[ui.when(moment) for moment in comments["fecha"]],
    )
    shown.columns = [t(f"report.column.{name}") for name in ("case", "rating", "comment", "resolved", "date")]
    st.dataframe(shown.map(reports.inert_cell), hide_index=True, width="stretch")  # its CSV: as our export

st.subheader(t("report.export"))
# Made when a button is clicked, through the same check of this tab's session as every other call.
as_csv = ui.deferred(reports.export_csv, actor=actor, filters=filters, language=actor.language)
as_xlsx = ui.deferred(reports.export_xlsx, actor=actor, filters=filters, language=actor.language)
csv_col, xlsx_col, _ = st.columns([1, 1, 2])
csv_col.download_button(
    t("report.csv"),
    data=as_csv,
    file_name="satisfaccion.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
    key="report_csv",
)
xlsx_col.download_button(
    t("report.xlsx"),
    data=as_xlsx,
    file_name="satisfaccion.xlsx",
    icon=":material/download:",
    on_click="ignore",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="report_xlsx",
)

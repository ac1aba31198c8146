"""Administración → Acuerdos de servicio: due hours per urgency, per area."""

import streamlit as st

from app_pages import ui
from app_pages.case_view import urgency_label
from services import cases, catalogue
from services.catalogue import DEFAULT_SLA_HOURS

actor = ui.require_page("admin_sla")
t = ui.t

st.title(t("admin.sla.title"))
st.caption(t("admin.sla.help"))
for area in ui.call(catalogue.area_details, write=False, actor=actor):
    with st.form(f"sla_{area.id}"):
        st.subheader(ui.md(area.name))
        columns = st.columns(len(cases.URGENCIES))
        hours = {}
        for column, urgency in zip(columns, reversed(cases.URGENCIES), strict=True):
            hours[urgency.value] = column.number_input(
                urgency_label(urgency),
                min_value=1,
                max_value=24 * 90,
                step=1,
                value=int(area.sla.get(urgency.value, DEFAULT_SLA_HOURS[urgency])),
                key=f"sla_{area.id}_{urgency}",
            )
        if st.form_submit_button(t("admin.save"), type="primary"):
            ui.act(
                catalogue.set_sla,
                done=t("admin.sla.saved", area=ui.md(area.name)),
                actor=actor,
                area_id=area.id,
                hours={k: int(v) for k, v in hours.items()},
            )

"""Administración → Acuerdos de servicio: due hours per urgency, per area."""

import streamlit as st

from app_pages import common as ui
from app_pages.case_view import urgency_label
from models.enums import Role
from services import admin, cases
from services.catalogue import DEFAULT_SLA_HOURS
from services.errors import ServiceError

actor = ui.require_actor(Role.ADMIN)
t = ui.t

st.title(t("admin.sla.title"))
st.caption(t("admin.sla.help"))
for area in ui.call(admin.area_details, write=False, actor=actor):
    with st.form(f"sla_{area.id}"):
        st.subheader(ui.md(area.name))
        columns = st.columns(len(cases.URGENCIES))
        hours = {}
        for column, urgency in zip(columns, reversed(cases.URGENCIES), strict=True):
            hours[urgency.value] = column.number_input(
                urgency_label(urgency), min_value=1, max_value=24 * 90, step=1,
                value=int(area.sla.get(urgency.value, DEFAULT_SLA_HOURS[urgency])), key=f"sla_{area.id}_{urgency}")
        if st.form_submit_button(t("admin.save"), type="primary"):
            try:
                ui.call(admin.set_sla, actor=actor, area_id=area.id, hours={k: int(v) for k, v in hours.items()})
            except ServiceError as exc:
                ui.show_error(exc)
            else:
                st.success(t("admin.sla.saved", area=ui.md(area.name)))

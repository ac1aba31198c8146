"""Administración → Auditoría: who changed what in the administration, with before and after."""

import json

import pandas as pd
import streamlit as st

from app_pages import ui
from services import audit, reports

actor = ui.require_page("admin_auditoria")
t = ui.t

st.title(t("admin.audit.title"))
rows = ui.call(audit.list_audit, write=False, actor=actor)
if not rows:
    st.info(t("admin.audit.empty"))
else:
    st.dataframe(
        pd.DataFrame(
            {
                t("admin.audit.when"): [ui.when(r.created_at) for r in rows],
                t("admin.audit.who"): [r.actor or t("admin.audit.system") for r in rows],
                t("admin.audit.action"): [t(f"audit.{r.action}") for r in rows],
                t("admin.audit.target"): [r.target for r in rows],
                t("admin.audit.before"): [json.dumps(r.before, ensure_ascii=False) if r.before else "" for r in rows],
                t("admin.audit.after"): [json.dumps(r.after, ensure_ascii=False) if r.after else "" for r in rows],
            }
        ).map(reports.inert_cell),
        hide_index=True,
        width="stretch",
    )

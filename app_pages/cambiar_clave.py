"""The forced change of a temporary password: nothing else opens until it is done."""

import streamlit as st

from app_pages import ui

actor = ui.require_page("cambiar_clave")
st.title(ui.t("account.change_password"))
st.warning(ui.t("account.forced_intro"))
ui.password_change_form(actor)

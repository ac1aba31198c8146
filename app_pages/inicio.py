"""Inicio: greets the user and shows what needs their attention."""

import streamlit as st

from app_pages import common as ui

actor = ui.require_actor()
t = ui.t

st.title(t("home.greeting", name=actor.full_name))
st.write(t("home.intro"))

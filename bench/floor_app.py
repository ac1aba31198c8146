"""The floor for bench/browser.py: the least a Streamlit page can do on this machine, served the same way.

A form (a text field and its submit button) that writes back what was sent, and a plain button that
reruns the script and counts its clicks. No database, no login: what it takes is Streamlit's own cost.
"""

import streamlit as st


def count_click() -> None:
    st.session_state["floor_clicks"] = st.session_state.get("floor_clicks", 0) + 1


st.set_page_config(page_title="Piso", page_icon="🎧")

with st.form("floor_form"):
    text = st.text_input("Texto")
    sent = st.form_submit_button("Enviar")
if sent:
    st.write(f"Recibido: {text}")

st.button("Otra vez", on_click=count_click)
st.write(f"Clics: {st.session_state.get('floor_clicks', 0)}")

"""One-time setup: the first administrator and, ticked by default, the demo catalogue and users."""

import streamlit as st

from app_pages import ui
from app_pages.ui.state import SETUP_RESULT_KEY
from services import users
from services.security import MIN_PASSWORD_LEN

t = ui.t

st.title(f":material/support_agent: {t('setup.title')}")
result = st.session_state.get(SETUP_RESULT_KEY)
if result is None:
    st.write(t("setup.intro"))
    with st.form("setup"):
        username = st.text_input(t("setup.username"), help=t("setup.username_help"), max_chars=60)
        full_name = st.text_input(t("setup.full_name"), max_chars=120)
        email = st.text_input(t("setup.email"), max_chars=254)
        password = st.text_input(t("setup.password"), type="password", help=t("password.policy", min=MIN_PASSWORD_LEN))
        password_repeat = st.text_input(t("setup.password_repeat"), type="password")
        load_demo = st.checkbox(t("setup.load_demo"), value=True)
        submitted = st.form_submit_button(t("setup.submit"), type="primary")
    st.caption(t("password.policy", min=MIN_PASSWORD_LEN))
    if submitted:
        # Every password is a bcrypt hash (a tenth of a second or more each): say how far it is.
        bar = st.progress(0.0, text=t("setup.working"))
        result = ui.act(
            users.complete_setup,
            username=username,
            full_name=full_name,
            email=email,
            password=password,
            password_repeat=password_repeat,
            load_demo=load_demo,
            on_progress=lambda done, total: bar.progress(
                done / total, text=t("setup.progress", done=done, total=total)
            ),
        )
        bar.empty()
        if result is not None:
            st.session_state[SETUP_RESULT_KEY] = result
            st.rerun()
else:
    st.success(t("setup.done", username=result.admin_username))
    if result.demo_users:
        st.warning(t("setup.demo_users"))
        st.dataframe(
            [
                {
                    t("setup.col_username"): u.username,
                    t("setup.col_name"): u.full_name,
                    t("setup.col_role"): t(f"role.{u.role}"),
                    t("setup.col_areas"): ", ".join(u.areas),
                    t("setup.col_password"): u.password,
                }
                for u in result.demo_users
            ],
            hide_index=True,
        )
        st.download_button(
            t("setup.download"),
            data=users.demo_users_csv(result.demo_users, language=ui.language()),
            file_name="usuarios-demo.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )
    if st.button(t("setup.go_login"), type="primary"):
        del st.session_state[SETUP_RESULT_KEY]
        st.rerun()

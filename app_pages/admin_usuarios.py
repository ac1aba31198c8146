"""Administración → Usuarios: search, create, edit, (de)activate, reset passwords, unlock, import a CSV."""

import pandas as pd
import streamlit as st

from app_pages import ui
from services import access, catalogue, reports, users
from services.errors import ServiceError

actor = ui.require_page("admin_usuarios")
t = ui.t
ss = st.session_state
ROLES = list(access.ROLES)


def role_label(role: str) -> str:
    return t(f"role.{role}")


def run(service, done: str, **kwargs):
    """One admin action in its own unit of work; the message (or the refusal) shows on the next run."""
    return ui.act(service, done=done, flash="admin", actor=actor, **kwargs)


st.title(t("admin.users.title"))
ui.show_flash("admin")
if shown := ss.pop("admin_password", None):
    st.warning(t("admin.users.password_once", username=shown[0], password=ui.md(shown[1])), icon="🔑")

areas = {a.name: a.id for a in ui.call(catalogue.list_areas, write=False)}
search, role_col, area_col, active_col = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
text = search.text_input(t("admin.users.search"), key="adm_text", icon=":material/search:")
role = role_col.selectbox(
    t("admin.users.role"),
    [None, *ROLES],
    key="adm_role",
    format_func=lambda r: t("report.all") if r is None else role_label(r),
)
area = area_col.selectbox(
    t("admin.users.area"), [None, *areas], key="adm_area", format_func=lambda a: t("report.all") if a is None else a
)
active = active_col.selectbox(
    t("admin.users.active"),
    [None, True, False],
    key="adm_active",
    format_func=lambda a: {
        None: t("report.all"),
        True: t("admin.users.only_active"),
        False: t("admin.users.only_inactive"),
    }[a],
)
page = ui.call(
    users.list_users,
    write=False,
    actor=actor,
    text=text,
    role=role,
    area_id=areas.get(area),
    active=active,
    page=ss.get("adm_page", 1),
)
st.caption(t("admin.users.count", total=page.total))
st.dataframe(
    pd.DataFrame(
        {
            t("admin.users.col.username"): [r.username for r in page.rows],
            t("admin.users.col.name"): [r.full_name for r in page.rows],
            t("admin.users.col.email"): [r.email for r in page.rows],
            t("admin.users.col.role"): [role_label(r.role) for r in page.rows],
            t("admin.users.col.areas"): [", ".join(r.areas) for r in page.rows],
            t("admin.users.col.active"): [r.active for r in page.rows],
            t("admin.users.col.locked"): [r.locked for r in page.rows],
            t("admin.users.col.temporary"): [r.must_change_password for r in page.rows],
        }
    ).map(reports.inert_cell),
    hide_index=True,
    width="stretch",
)
if page.pages > 1:
    st.number_input(
        t("verify.page", page=page.page, pages=page.pages), min_value=1, max_value=page.pages, key="adm_page"
    )

edit_tab, create_tab, import_tab = st.tabs([t("admin.users.edit"), t("admin.users.create"), t("admin.users.import")])

with edit_tab:
    rows = {r.username: r for r in page.rows}
    chosen = st.selectbox(t("admin.users.pick"), list(rows), index=None, key="adm_pick", placeholder=t("common.choose"))
    if chosen:
        row = rows[chosen]
        with st.form(f"edit_{chosen}"):
            full_name = st.text_input(t("account.full_name"), value=row.full_name, max_chars=120)
            email = st.text_input(t("account.email"), value=row.email, max_chars=254)
            new_role = st.selectbox(t("admin.users.role"), ROLES, index=ROLES.index(row.role), format_func=role_label)
            new_areas = st.multiselect(
                t("admin.users.areas_for_advisors"), list(areas), default=list(row.areas), select_all=False
            )
            if st.form_submit_button(t("admin.save"), type="primary"):
                run(
                    users.update_user,
                    t("admin.users.saved"),
                    username=chosen,
                    full_name=full_name,
                    email=email,
                    role=new_role,
                    area_names=tuple(new_areas),
                )
                st.rerun()
        cols = st.columns(4)
        if row.active:
            cols[0].button(
                t("admin.users.deactivate"),
                key="adm_deactivate",
                icon=":material/person_off:",
                on_click=run,
                args=(users.set_user_active, t("admin.users.deactivated")),
                kwargs={"username": chosen, "active": False},
            )
        else:
            cols[0].button(
                t("admin.users.activate"),
                key="adm_activate",
                icon=":material/person_check:",
                on_click=run,
                args=(users.set_user_active, t("admin.users.activated")),
                kwargs={"username": chosen, "active": True},
            )
        if cols[1].button(t("admin.users.reset"), key="adm_reset", icon=":material/key:"):
            password = run(users.reset_password, t("admin.users.reset_done"), username=chosen)
            if password:
                ss["admin_password"] = (chosen, password)
            st.rerun()
        cols[2].button(
            t("admin.users.unlock"),
            key="adm_unlock",
            disabled=not row.locked,
            icon=":material/lock_open:",
            on_click=run,
            args=(users.unlock, t("admin.users.unlocked")),
            kwargs={"username": chosen},
        )
        cols[3].button(
            t("admin.end_sessions"),
            key="adm_end_sessions",
            icon=":material/logout:",
            help=t("admin.end_sessions_help"),
            on_click=run,
            args=(users.end_user_sessions, t("admin.sessions_ended", username=chosen)),
            kwargs={"username": chosen},
        )

with create_tab, st.form("create_user", clear_on_submit=False):
    username = st.text_input(t("account.username"), help=t("setup.username_help"), max_chars=60)
    full_name = st.text_input(t("account.full_name"), max_chars=120, key="new_full_name")
    email = st.text_input(t("account.email"), max_chars=254, key="new_email")
    new_role = st.selectbox(t("admin.users.role"), ROLES, format_func=role_label, key="new_role")
    new_areas = st.multiselect(t("admin.users.areas_for_advisors"), list(areas), key="new_areas", select_all=False)
    typed = st.text_input(
        t("admin.users.temp_password"), type="password", help=t("admin.users.temp_help"), key="new_password"
    )
    if st.form_submit_button(t("admin.users.create_button"), type="primary"):
        password = run(
            users.add_user,
            t("admin.users.created", username=username.strip().lower()),
            username=username,
            full_name=full_name,
            email=email,
            role=new_role,
            area_names=tuple(new_areas),
            password=typed or None,
        )
        if password:
            ss["admin_password"] = (username.strip().lower(), password)
        st.rerun()

with import_tab:
    st.caption(t("admin.import.help"))
    upload = st.file_uploader(t("admin.import.file"), type=["csv"], key="adm_csv")
    if upload is not None:
        content = upload.getvalue()
        try:
            preview = ui.call(users.preview_import, write=False, actor=actor, content=content)
        except ServiceError as exc:
            ui.show_error(exc)
            preview = []
        if preview:
            st.dataframe(
                pd.DataFrame(
                    {
                        t("admin.import.line"): [r.line for r in preview],
                        t("admin.users.col.username"): [r.username for r in preview],
                        t("admin.users.col.name"): [r.full_name for r in preview],
                        t("admin.users.col.email"): [r.email for r in preview],
                        t("admin.users.col.role"): [r.role for r in preview],
                        t("admin.users.col.areas"): [", ".join(r.areas) for r in preview],
                        t("admin.import.errors"): ["; ".join(t(k, **p) for k, p in r.errors) or "✔" for r in preview],
                    }
                ).map(reports.inert_cell),
                hide_index=True,
                width="stretch",
            )
            bad = sum(1 for r in preview if r.errors)
            if bad:
                ui.show_error(t("import.has_errors", count=bad))
            if st.button(
                t("admin.import.confirm", count=len(preview)), type="primary", disabled=bool(bad), key="adm_import"
            ):
                bar = st.progress(0.0, text=t("admin.import.running"))
                # The passwords are hashed first, outside the transaction; then the rows go in at once.
                passwords = users.temporary_passwords(
                    len(preview), progress=lambda done, total: bar.progress(done / total, text=f"{done}/{total}")
                )
                created = run(
                    users.confirm_import,
                    t("admin.import.done", count=len(preview)),
                    content=content,
                    passwords=passwords,
                )
                if created:
                    ss["admin_imported"] = created
                st.rerun()
    if imported := ss.pop("admin_imported", None):
        st.warning(t("admin.import.passwords_once"), icon="🔑")
        # Left as is: a generated password must be copied exactly (the usernames are [a-z0-9.] only).
        st.dataframe(
            pd.DataFrame(imported, columns=[t("admin.users.col.username"), t("setup.col_password")]), hide_index=True
        )

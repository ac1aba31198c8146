"""Administración → Áreas y opciones: options per area (add, rename, deactivate, order), assignment, advisors."""

import streamlit as st

from app_pages import ui
from services import catalogue, users

actor = ui.require_page("admin_catalogo")
t = ui.t
ss = st.session_state


def run(service, done: str, **kwargs) -> None:
    ui.act(service, done=done, flash="cat", actor=actor, **kwargs)


def from_widgets(service, done: str, keys: dict[str, str], **fixed) -> None:
    run(service, done, **fixed, **{name: ss.get(key) for name, key in keys.items()})


st.title(t("admin.catalogue.title"))
ui.show_flash("cat")

details = ui.call(catalogue.area_details, write=False, actor=actor)
advisors = [
    r.username for r in ui.call(users.list_users, write=False, actor=actor, role="advisor", page_size=1000).rows
]
for tab, area in zip(st.tabs([ui.md(a.name) for a in details]), details, strict=True):
    with tab:
        mode_col, advisors_col = st.columns([1, 2], vertical_alignment="bottom")
        with mode_col:
            st.radio(
                t("admin.catalogue.mode"),
                ["automatic", "manual"],
                key=f"mode_{area.id}",
                index=["automatic", "manual"].index(area.assignment_mode),
                format_func=lambda m: t(f"admin.catalogue.mode.{m}"),
                horizontal=True,
            )
            st.button(
                t("admin.save"),
                key=f"mode_save_{area.id}",
                on_click=from_widgets,
                args=(catalogue.set_assignment_mode, t("admin.catalogue.saved"), {"mode": f"mode_{area.id}"}),
                kwargs={"area_id": area.id},
            )
        with advisors_col:
            st.multiselect(
                t("admin.catalogue.advisors"),
                advisors,
                default=list(area.advisors),
                key=f"advisors_{area.id}",
                select_all=False,  # Streamlit's "Select all" is English only
            )
            st.button(
                t("admin.save"),
                key=f"advisors_save_{area.id}",
                on_click=from_widgets,
                args=(catalogue.set_area_advisors, t("admin.catalogue.saved"), {"usernames": f"advisors_{area.id}"}),
                kwargs={"area_id": area.id},
            )

        address_col, address_button = st.columns([3, 1], vertical_alignment="bottom")
        address_col.text_input(
            t("admin.catalogue.address"),
            value=area.inbound_address,
            key=f"address_{area.id}",
            max_chars=254,
            placeholder="soporte@empresa.com",
            help=t("admin.catalogue.address_help", option=area.mail_option or catalogue.MAIL_OPTION),
        )
        address_button.button(
            t("admin.save"),
            key=f"address_save_{area.id}",
            on_click=from_widgets,
            args=(catalogue.set_inbound_address, t("admin.catalogue.saved"), {"address": f"address_{area.id}"}),
            kwargs={"area_id": area.id},
        )

        st.subheader(t("admin.catalogue.options"))
        for index, option in enumerate(area.options):
            with st.container(border=True):
                name_col, desc_col, active_col, actions_col = st.columns([2, 3, 1, 2], vertical_alignment="bottom")
                name_col.text_input(
                    t("admin.catalogue.name"), value=option.name, key=f"opt_name_{option.id}", max_chars=80
                )
                desc_col.text_input(
                    t("admin.catalogue.description"),
                    value=option.description,
                    key=f"opt_desc_{option.id}",
                    max_chars=300,
                )
                active_col.checkbox(
                    t("admin.catalogue.active"),
                    value=option.active,
                    key=f"opt_active_{option.id}",
                    help=t("admin.catalogue.active_help", count=option.cases),
                )
                up, down, save = actions_col.columns(3)
                up.button(
                    "↑",
                    key=f"opt_up_{option.id}",
                    disabled=index == 0,
                    help=t("admin.catalogue.up"),
                    on_click=run,
                    args=(catalogue.move_option, t("admin.catalogue.saved")),
                    kwargs={"option_id": option.id, "offset": -1},
                )
                down.button(
                    "↓",
                    key=f"opt_down_{option.id}",
                    disabled=index == len(area.options) - 1,
                    help=t("admin.catalogue.down"),
                    on_click=run,
                    args=(catalogue.move_option, t("admin.catalogue.saved")),
                    kwargs={"option_id": option.id, "offset": 1},
                )
                save.button(
                    "💾",
                    key=f"opt_save_{option.id}",
                    help=t("admin.save"),
                    on_click=from_widgets,
                    args=(
                        catalogue.update_option,
                        t("admin.catalogue.saved"),
                        {
                            "name": f"opt_name_{option.id}",
                            "description": f"opt_desc_{option.id}",
                            "active": f"opt_active_{option.id}",
                        },
                    ),
                    kwargs={"option_id": option.id},
                )

        with st.form(f"new_option_{area.id}", clear_on_submit=True):
            st.markdown(f"**{t('admin.catalogue.new_option')}**")
            name = st.text_input(t("admin.catalogue.name"), max_chars=80)
            description = st.text_input(t("admin.catalogue.description"), max_chars=300)
            if st.form_submit_button(t("admin.catalogue.add"), type="primary"):
                run(
                    catalogue.add_option,
                    t("admin.catalogue.added", name=ui.md(name.strip())),
                    area_id=area.id,
                    name=name,
                    description=description,
                )
                st.rerun()

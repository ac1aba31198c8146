"""Administración → Acuerdos de servicio: per area, when its cases' time runs (its week, the national
holidays, its special days), its targets per urgency in business hours, and how it works the next 30 days.
Every save recomputes the due times of the area's open cases, with a progress bar while it does."""

from collections.abc import Iterable
from datetime import date

import streamlit as st
from babel.dates import format_date

from app_pages import ui
from app_pages.case_view import urgency_label
from services import cases, catalogue, clock, sla

actor = ui.require_page("admin_sla")
t = ui.t
ss = st.session_state

MODES = ("always", "calendar")
FIRST_RESPONSE_ON = ("reply", "take")
BREACH_ACTIONS = ("none", "raise", "unassign")
ALL_DAY = "00:00-24:00"
MAX_HOURS = 24 * 90
DAY_ROWS = ((0, 1), (2, 3), (4, 5), (6,))  # two days a row on a wide screen; Monday to Sunday on a phone
REFRESH_KEY = "sla_refresh"  # the fields a save stored, to be shown from the database on the next run


def day_words(day: date, *, year: bool = False) -> str:
    """ "lunes 1 de diciembre" (with `year`: "lunes 1 de diciembre de 2026")."""
    if ui.language() == "en":
        return format_date(day, "EEEE, MMMM d, y" if year else "EEEE, MMMM d", locale="en")
    return format_date(day, "EEEE d 'de' MMMM 'de' y" if year else "EEEE d 'de' MMMM", locale="es")


def recomputed(count: int) -> str:
    if not count:
        return t("admin.sla.recomputed_none")
    return t("admin.sla.recomputed", count=count, n=ui.number(count))


def save(service, *, flash: str, done: str, fields: Iterable[str] = (), **kwargs) -> None:
    """One of the SLA's saves, with a bar over the recompute of the area's open cases. On success the
    fields it saved show the database again on the next run (as the service wrote them: "7-12" comes back
    as "07:00-12:00"; a day added leaves its form empty); on a refusal they keep what was typed. Then the
    whole page is drawn again."""
    bar = st.progress(0.0, text=t("admin.sla.progress_start"))

    def progress(done_count: int, total: int) -> None:
        bar.progress(
            done_count / total, text=t("admin.sla.progress", done=ui.number(done_count), total=ui.number(total))
        )

    moved = ui.act(
        service,
        done=lambda count: f"{done} {recomputed(count)}",
        flash=flash,
        actor=actor,
        progress=progress,
        **kwargs,
    )
    if moved is not None:
        ss[REFRESH_KEY] = set(fields)
    st.rerun()


def seed(key: str, stored) -> str:
    """A field's key, holding the database's value on its first draw and after a save that stored it
    (a widget's own `value` would be ignored once the key exists)."""
    if key not in ss or key in refresh:
        ss[key] = stored
    return key


def hours_section(view: sla.CalendarView) -> None:
    """Todo el tiempo, or the area's week with its breaks, the national holidays and the SLA's options."""
    area_id, flash = view.area_id, f"sla_hours_{view.area_id}"
    days = [f"sla_day_{area_id}_{i}" for i in range(7)]
    holidays, first_on, breach = f"sla_holidays_{area_id}", f"sla_first_on_{area_id}", f"sla_breach_{area_id}"
    st.subheader(t("admin.sla.section.hours"))
    mode = st.radio(
        t("admin.sla.mode"),
        MODES,
        format_func=lambda m: t(f"admin.sla.mode.{m}"),
        key=seed(f"sla_mode_{area_id}", "calendar" if view.configured else "always"),
        horizontal=True,
    )
    with st.form(f"sla_week_{area_id}", border=False):
        if mode == "calendar":
            st.caption(t("admin.sla.hours_format"))
            for row in DAY_ROWS:
                for column, i in zip(st.columns(2), row, strict=False):
                    column.text_input(
                        t(f"weekday.{i}"),
                        key=seed(days[i], view.weekly[i]),
                        max_chars=100,
                        placeholder="07:00-12:00, 14:00-18:00" if i < 5 else "",
                    )
            st.checkbox(t("admin.sla.national_holidays"), key=seed(holidays, view.national_holidays))
            left, right = st.columns(2)
            left.selectbox(
                t("admin.sla.first_response_on"),
                FIRST_RESPONSE_ON,
                format_func=lambda o: t(f"admin.sla.first_response_on.{o}"),
                key=seed(first_on, view.first_response_on),
            )
            right.selectbox(
                t("admin.sla.breach_action"),
                BREACH_ACTIONS,
                format_func=lambda a: t(f"admin.sla.breach_action.{a}"),
                key=seed(breach, view.breach_action),
            )
        else:
            st.caption(t("admin.sla.always_note"))
        submitted = st.form_submit_button(t("admin.sla.save_hours"), type="primary", key=f"sla_save_hours_{area_id}")
    if submitted:
        save(
            sla.save_calendar,
            flash=flash,
            done=t("admin.sla.hours_saved", area=ui.md(view.area)),
            fields=[*days, holidays, first_on, breach],
            area_id=area_id,
            weekly=[ss[key] for key in days] if mode == "calendar" else None,
            national_holidays=ss.get(holidays, view.national_holidays),
            first_response_on=ss.get(first_on, view.first_response_on),
            breach_action=ss.get(breach, view.breach_action),
        )
    ui.show_flash(flash)


def targets_section(view: sla.CalendarView) -> None:
    """First response and resolution, in business hours, per urgency (highest first)."""
    area_id, flash = view.area_id, f"sla_targets_{view.area_id}"
    urgencies = [u.value for u in reversed(cases.URGENCIES)]
    first = {u: f"sla_first_{area_id}_{u}" for u in urgencies}
    resolution = {u: f"sla_resolution_{area_id}_{u}" for u in urgencies}
    st.subheader(t("admin.sla.section.targets"))
    st.caption(t("admin.sla.targets_help"))
    with st.form(f"sla_goals_{area_id}", border=False):
        for urgency in urgencies:
            name, first_col, resolution_col = st.columns([2, 3, 3], vertical_alignment="bottom")
            name.markdown(f"**{urgency_label(urgency)}**")
            first_col.number_input(
                t("admin.sla.first_response_hours"),
                min_value=0,
                max_value=MAX_HOURS,
                step=1,
                key=seed(first[urgency], view.first_response_hours[urgency] or 0),
            )
            resolution_col.number_input(
                t("admin.sla.resolution_hours"),
                min_value=1,
                max_value=MAX_HOURS,
                step=1,
                key=seed(resolution[urgency], view.resolution_hours[urgency]),
            )
        submitted = st.form_submit_button(
            t("admin.sla.save_targets"), type="primary", key=f"sla_save_targets_{area_id}"
        )
    if submitted:
        save(
            sla.set_targets,
            flash=flash,
            done=t("admin.sla.targets_saved", area=ui.md(view.area)),
            fields=[*first.values(), *resolution.values()],
            area_id=area_id,
            resolution_hours={u: int(ss[key]) for u, key in resolution.items()},
            first_response_hours={u: int(ss[key]) or None for u, key in first.items()},
        )
    ui.show_flash(flash)


def exception_line(exception: sla.ExceptionView) -> str:
    """ "**jueves 24 de diciembre de 2026** · No se trabaja · Nochebuena", the reason inert."""
    parts = [exception.hours or t("admin.sla.day_off"), *([exception.note] if exception.note else [])]
    return " · ".join([f"**{ui.md(day_words(exception.day, year=True))}**", *(ui.md(part) for part in parts)])


def days_section(view: sla.CalendarView) -> None:
    """The area's special days, each with Quitar, and the form that adds one."""
    area_id, flash = view.area_id, f"sla_days_{view.area_id}"
    day, hours, note = f"sla_new_day_{area_id}", f"sla_new_hours_{area_id}", f"sla_new_note_{area_id}"
    st.subheader(t("admin.sla.section.days"))
    st.caption(t("admin.sla.days_help"))
    for exception in view.exceptions:
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.markdown(exception_line(exception))
        if button.button(t("admin.sla.remove"), key=f"sla_remove_{exception.id}"):
            save(
                sla.remove_exception,
                flash=flash,
                done=t("admin.sla.day_removed", day=day_words(exception.day, year=True)),
                exception_id=exception.id,
            )
    if not view.exceptions:
        st.caption(t("admin.sla.no_days"))
    if not view.configured:
        st.info(t("admin.sla.days_need_calendar"), icon=":material/info:")
    else:
        with st.form(f"sla_new_day_form_{area_id}", border=False):
            day_col, hours_col, note_col = st.columns([2, 3, 3])
            day_col.date_input(t("admin.sla.day"), format="DD/MM/YYYY", key=seed(day, clock.local_now().date()))
            hours_col.text_input(
                t("admin.sla.day_hours"), key=seed(hours, ""), max_chars=100, placeholder="08:00-12:00"
            )
            note_col.text_input(t("admin.sla.day_note"), key=seed(note, ""), max_chars=120)
            submitted = st.form_submit_button(t("admin.sla.add_day"), type="primary", key=f"sla_add_day_{area_id}")
        if submitted:
            save(
                sla.add_exception,
                flash=flash,
                done=t("admin.sla.day_added", day=day_words(ss[day], year=True) if ss[day] else ""),
                fields=[day, hours, note],
                area_id=area_id,
                day=ss[day],
                hours=ss[hours],
                note=ss[note],
            )
    ui.show_flash(flash)


def preview_line(day: sla.PreviewDay) -> str:
    """ "lunes 1 de diciembre · 07:00-12:00, 14:00-18:00"; a day off in grey, with its reason."""
    hours = t("admin.sla.all_day") if day.hours == ALL_DAY else day.hours or t("admin.sla.day_off")
    line = ui.md(f"{day_words(day.day)} · {hours}" + (f" ({day.why})" if day.why else ""))
    return line if day.hours else f":gray[{line}]"


def preview_section(view: sla.CalendarView, days: list[sla.PreviewDay]) -> None:
    st.subheader(t("admin.sla.section.preview"))
    if not view.configured:
        st.caption(t("admin.sla.preview_always"))
        return
    half = (len(days) + 1) // 2
    for column, part in zip(st.columns(2), (days[:half], days[half:]), strict=True):
        column.markdown("\n".join(f"- {preview_line(day)}" for day in part))


st.title(t("admin.sla.title"))
st.caption(t("admin.sla.intro"))
refresh = ss.pop(REFRESH_KEY, set())
areas = ui.call(catalogue.list_areas, write=False)
with ui.reading(actor) as read:
    shown = [(read(sla.calendar_view, area_id=area.id), read(sla.preview, area_id=area.id, days=30)) for area in areas]
for tab, (view, days) in zip(st.tabs([ui.md(view.area) for view, _ in shown]), shown, strict=True):
    with tab:
        hours_section(view)
        st.divider()
        targets_section(view)
        st.divider()
        days_section(view)
        st.divider()
        preview_section(view, days)

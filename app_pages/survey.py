"""The requester's "¿Su solicitud fue resuelta?" (a dialog on arrival, and a box in Verificar mis Casos)."""

from __future__ import annotations

import streamlit as st

from app_pages import ui
from services import surveys
from services.errors import ServiceError

t = ui.t
ss = st.session_state


def _answer(actor, question: surveys.Question, resolved: bool, comment_key: str | None) -> bool:
    comment = ss.get(comment_key, "") if comment_key else ""
    try:
        ui.call(
            surveys.answer,
            actor=actor,
            number=question.number,
            round=question.round,
            resolved=resolved,
            comment=comment,
        )
    except ServiceError as exc:
        ss["survey_error"] = ui.error_text(exc)
        return False
    ss.pop("survey_error", None)
    ss.pop("survey_no", None)
    if resolved:
        ss["survey_rate"] = question.number
        ss["survey_flash"] = t("survey.closed", number=question.number)
    else:
        ss["survey_flash"] = t("survey.reopened", number=question.number)
    return True


def _say_no(scope: str, number: int) -> None:
    ss["survey_no"] = (scope, number)
    ss.pop("survey_error", None)


def _take_back_no() -> None:
    ss.pop("survey_no", None)
    ss.pop("survey_error", None)


def question_body(actor, question: surveys.Question, *, scope: str) -> bool:
    """Number, subject and solution, then Sí / No (No asks for a comment). True when answered.

    No and Volver only change this box: their callbacks leave the rerun to the fragment around it (the
    dialog, or the case in Verificar). An answer changes the case, so the caller reruns the whole page.
    """
    st.markdown(f"**{t('case.number', number=question.number)}** · {ui.md(question.subject)}")
    st.markdown(f"**{t('case.solution')}**")
    st.markdown(ui.md(question.solution))
    if error := ss.get("survey_error"):
        ui.show_error(error)
    if ss.get("survey_no") == (scope, question.number):
        key = f"survey_comment_{scope}_{question.number}"
        st.text_area(t("survey.no_comment"), key=key, max_chars=surveys.MAX_COMMENT)
        send, back = st.columns(2)
        if send.button(t("survey.send_no"), type="primary", key=f"survey_send_{scope}"):
            return _answer(actor, question, False, key)
        back.button(t("survey.back"), key=f"survey_back_{scope}", on_click=_take_back_no)
        return False
    yes, no = st.columns(2)
    if yes.button(
        t("survey.yes"), type="primary", key=f"survey_yes_{scope}", icon=":material/thumb_up:", width="stretch"
    ):
        return _answer(actor, question, True, None)
    no.button(
        t("survey.no"),
        key=f"survey_no_{scope}",
        icon=":material/thumb_down:",
        width="stretch",
        on_click=_say_no,
        args=(scope, question.number),
    )
    return False


def _postpone() -> None:
    ss["survey_postponed"] = True
    ss.pop("survey_no", None)
    st.query_params.pop("responder", None)


def _rate(actor, number: int, skip: bool) -> bool:
    stars = ss.get("survey_stars")
    if not skip and stars is None:
        ss["survey_rate_error"] = t("survey.pick_stars")
        return False
    ss.pop("survey_rate_error", None)
    try:
        ui.call(
            surveys.rate,
            actor=actor,
            number=number,
            rating=None if skip or stars is None else stars + 1,
            comment="" if skip else ss.get("survey_rating_comment", ""),
        )
    except ServiceError as exc:
        ss["survey_flash"] = ui.error_text(exc)
    else:
        ss["survey_flash"] = t("survey.thanks")
    ss.pop("survey_rate", None)
    return True


def may_ask() -> bool:
    """Whether this run's prompt may put a question (so app.py reads them with the user): not while the
    rating dialog is open, nor once postponed, unless the e-mail's link asks for an answer."""
    if ss.get("survey_rate") is not None:
        return False
    return not ss.get("survey_postponed") or st.query_params.get("responder") == "1"


def prompt(actor, questions: list[surveys.Question]) -> None:
    """On arrival (login, remembered login, the e-mail's link): ask case by case, until postponed.

    `questions` are the actor's pending ones, read by app.py with the user when `may_ask()`.
    Streamlit allows one dialog per run: `mesa_dialog_open` tells the page not to open its own.
    A dialog reruns alone on its own clicks (it is a fragment); the buttons that close it rerun the
    whole page on purpose (st.rerun()): the answer changes the case and the page behind.
    """
    ss["mesa_dialog_open"] = False
    if flash := ss.pop("survey_flash", None):
        st.toast(flash, icon="✅")
    rating_for = ss.get("survey_rate")
    if rating_for is not None:

        def rating_body() -> None:
            st.markdown(t("survey.rate_intro", number=rating_for))
            # Not st.feedback("stars"): its stars are named "4 out of 5 stars" in English for every user.
            # The same 0–4 in survey_stars (one star less than the rating), under the user's words.
            st.pills(
                t("survey.stars_label"),
                options=range(5),
                format_func=lambda stars: "★" * (stars + 1),
                key="survey_stars",
                label_visibility="collapsed",
            )
            st.text_area(t("survey.rate_comment"), key="survey_rating_comment", max_chars=surveys.MAX_COMMENT)
            send, skip = st.columns(2)
            if error := ss.get("survey_rate_error"):
                ui.show_error(error)
            if send.button(t("survey.rate_send"), type="primary", key="survey_rate_send"):
                _rate(actor, rating_for, skip=False)
                st.rerun()
            if skip.button(t("survey.rate_skip"), key="survey_rate_skip"):
                _rate(actor, rating_for, skip=True)
                st.rerun()

        ss["mesa_dialog_open"] = True
        st.dialog(t("survey.rate_title"), dismissible=False)(rating_body)()
        return

    if not questions:
        return
    wanted = st.query_params.get("caso")
    question = min(questions, key=lambda q: str(q.number) != wanted)  # the e-mail's case first, else the oldest
    more = len(questions) - 1

    def body() -> None:
        if question_body(actor, question, scope="dialog"):
            st.query_params.pop("responder", None)
            st.rerun()
        st.divider()
        if more:
            st.caption(t("survey.more", count=more))
        if st.button(t("survey.later"), key="survey_later", icon=":material/schedule:"):
            _postpone()
            st.query_params.pop("responder", None)
            st.rerun()

    ss["mesa_dialog_open"] = True
    st.dialog(t("survey.title"), on_dismiss=_postpone)(body)()

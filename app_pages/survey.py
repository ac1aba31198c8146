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


def question_body(actor, question: surveys.Question, *, scope: str) -> bool:
    """Number, subject and solution, then Sí / No (No asks for a comment). True when answered."""
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
        if back.button(t("survey.back"), key=f"survey_back_{scope}"):
            ss.pop("survey_no", None)
            ss.pop("survey_error", None)
            st.rerun()
        return False
    yes, no = st.columns(2)
    if yes.button(
        t("survey.yes"), type="primary", key=f"survey_yes_{scope}", icon=":material/thumb_up:", width="stretch"
    ):
        return _answer(actor, question, True, None)
    if no.button(t("survey.no"), key=f"survey_no_{scope}", icon=":material/thumb_down:", width="stretch"):
        ss["survey_no"] = (scope, question.number)
        ss.pop("survey_error", None)
        st.rerun()
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


def prompt(actor) -> None:
    """On arrival (login, remembered login, the e-mail's link): ask case by case, until postponed.

    Streamlit allows one dialog per run: `mesa_dialog_open` tells the page not to open its own.
    """
    ss["mesa_dialog_open"] = False
    if flash := ss.pop("survey_flash", None):
        st.toast(flash, icon="✅")
    rating_for = ss.get("survey_rate")
    if rating_for is not None:

        def rating_body() -> None:
            st.markdown(t("survey.rate_intro", number=rating_for))
            st.feedback("stars", key="survey_stars")
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

    from_link = st.query_params.get("responder") == "1"
    if ss.get("survey_postponed") and not from_link:
        return
    questions = ui.call(surveys.pending_questions, write=False, actor=actor)
    if not questions:
        return
    wanted = st.query_params.get("caso")
    questions.sort(key=lambda q: str(q.number) != wanted)
    question = questions[0]

    def body() -> None:
        if question_body(actor, question, scope="dialog"):
            st.query_params.pop("responder", None)
            st.rerun()
        st.divider()
        more = len(questions) - 1
        if more:
            st.caption(t("survey.more", count=more))
        if st.button(t("survey.later"), key="survey_later", icon=":material/schedule:"):
            _postpone()
            st.query_params.pop("responder", None)
            st.rerun()

    ss["mesa_dialog_open"] = True
    st.dialog(t("survey.title"), on_dismiss=_postpone)(body)()

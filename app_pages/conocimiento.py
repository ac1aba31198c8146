"""Base de conocimiento: everyone reads and searches the published articles meant for them; advisors and
admins write them (drafts, versions, publishing, history) and keep their areas' predefined replies.

`?articulo=12` opens that article; the editor opens in place of the list (`kb_edit`: an id or "new").
"""

import streamlit as st

from app_pages import knowledge_view as kv
from app_pages import ui
from services import knowledge
from services.errors import ServiceError

actor = ui.require_page("conocimiento")
t = ui.t
ss = st.session_state
CAN = knowledge.rights(actor)
WRITER, STAFF = CAN.write, CAN.read_internal


def open_article(article_id: int) -> None:
    st.query_params["articulo"] = str(article_id)
    ss.pop("kb_edit", None)
    ss.pop("kb_counted", None)


def back_to_list() -> None:
    st.query_params.pop("articulo", None)
    ss.pop("kb_edit", None)


def edit(article_id: int | str) -> None:
    ss["kb_edit"] = article_id
    for key in ("kb_title", "kb_body", "kb_tags", "kb_audience", "kb_option"):
        ss.pop(key, None)


def cancel_edit() -> None:
    ss.pop("kb_edit", None)


def reset_page() -> None:
    ss["kb_page"] = 1


def vote(article_id: int, helpful: bool) -> None:
    ui.act(knowledge.vote, flash="kb", done=t("kb.thanks"), actor=actor, article_id=article_id, helpful=helpful)


def save(article_id: int | None, version: int | None, publish: bool) -> None:
    saved = ui.act(
        knowledge.save_article,
        flash="kb",
        actor=actor,
        article_id=article_id,
        title=ss.get("kb_title", ""),
        body=ss.get("kb_body", ""),
        tags=ss.get("kb_tags", ""),
        audience=ss.get("kb_audience", "public"),
        option_id=ss.get("kb_option"),
        expected_version=version,
    )
    if saved is None:
        return  # the reason shows above the editor; what was typed stays
    ss.pop("kb_edit", None)
    st.query_params["articulo"] = str(saved)
    if not publish:
        ss["kb_done"] = t("kb.saved")
        return
    ui.act(
        knowledge.publish,
        flash="kb",
        done=lambda number: t("kb.published", version=number),
        actor=actor,
        article_id=saved,
    )


def publish(article_id: int, version: int) -> None:
    ui.act(
        knowledge.publish,
        flash="kb",
        done=lambda number: t("kb.published", version=number),
        actor=actor,
        article_id=article_id,
        expected_version=version,
    )


def archive(article_id: int) -> None:
    ui.act(knowledge.archive, flash="kb", done=t("kb.archived"), actor=actor, article_id=article_id)
    if not ss.get("kb_error"):
        st.query_params.pop("articulo", None)


# --- The editor ----------------------------------------------------------------------------------


def editor(article_id: int | None) -> None:
    current = None
    if article_id is not None:
        current = ui.call(knowledge.get_article, write=False, actor=actor, article_id=article_id)
        source = current.draft or current
        ss.setdefault("kb_title", source.title)
        ss.setdefault("kb_body", source.body)
        ss.setdefault("kb_tags", source.tags)
        ss.setdefault("kb_audience", source.audience)
        ss.setdefault("kb_option", source.option_id)
    st.subheader(t("kb.edit_title") if current else t("kb.new_title"))
    if current is not None and current.audience == "internal" and current.status == "draft":
        st.info(t("kb.personal_data"), icon=":material/privacy_tip:")
    options = dict(ui.call(knowledge.options_for_articles, write=False, actor=actor))
    st.text_input(t("kb.field.title") + " *", key="kb_title", max_chars=knowledge.MAX_TITLE)
    left, right = st.columns(2)
    left.selectbox(
        t("kb.field.option"),
        options=[None, *options],
        format_func=lambda o: t("kb.all_areas") if o is None else options[o],
        key="kb_option",
    )
    right.radio(
        t("kb.field.audience"),
        options=["public", "internal"],
        format_func=lambda a: t(f"kb.audience.{a}"),
        key="kb_audience",
        horizontal=True,
    )
    st.text_input(t("kb.field.tags"), key="kb_tags", max_chars=knowledge.MAX_TAGS, help=t("kb.field.tags_help"))
    write, preview = st.tabs([t("kb.write"), t("kb.preview")])
    with write:
        st.text_area(
            t("kb.field.body") + " *",
            key="kb_body",
            height=320,
            max_chars=knowledge.MAX_BODY,
            help=t("kb.field.body_help"),
        )
    with preview:
        kv.show_body(ss.get("kb_body", ""))
    version = current.version if current else None
    row = st.container(horizontal=True)
    row.button(
        t("kb.save_draft"), key="kb_save", on_click=save, args=(article_id, version, False), icon=":material/save:"
    )
    row.button(
        t("kb.save_publish"),
        key="kb_save_publish",
        type="primary",
        on_click=save,
        args=(article_id, version, True),
        icon=":material/publish:",
    )
    row.button(t("kb.cancel"), key="kb_cancel", on_click=cancel_edit)


# --- One article ---------------------------------------------------------------------------------


def article_page(article_id: str) -> None:
    st.button(t("kb.back"), icon=":material/arrow_back:", on_click=back_to_list, key="kb_back")
    first_look = ss.get("kb_counted") != article_id
    try:
        article = ui.call(
            knowledge.get_article, write=first_look, actor=actor, article_id=article_id, count_view=first_look
        )
    except ServiceError as exc:
        ui.show_error(exc)
        return
    ss["kb_counted"] = article_id  # one view per opening, not per click inside it
    st.header(article.title, anchor=False)
    st.caption(kv.facts(article))
    if article.draft is not None:
        st.info(t("kb.newer_draft", version=article.draft.number), icon=":material/edit_note:")
    kv.show_body(article.body)
    if article.status == "published":
        with st.container(border=True):
            st.markdown(f"**{t('kb.helpful_question')}**")
            row = st.container(horizontal=True)
            row.button(
                t("kb.yes"),
                key="kb_yes",
                on_click=vote,
                args=(article.id, True),
                type="primary" if article.my_vote is True else "secondary",
                icon=":material/thumb_up:",
            )
            row.button(
                t("kb.no"),
                key="kb_no",
                on_click=vote,
                args=(article.id, False),
                type="primary" if article.my_vote is False else "secondary",
                icon=":material/thumb_down:",
            )
    if not article.may_edit:
        return
    row = st.container(horizontal=True)
    row.button(t("kb.edit"), key="kb_edit_button", on_click=edit, args=(article.id,), icon=":material/edit:")
    if article.status == "draft" or article.draft is not None:
        row.button(
            t("kb.publish"),
            key="kb_publish",
            type="primary",
            on_click=publish,
            args=(article.id, article.version),
            icon=":material/publish:",
        )
    row.button(t("kb.archive"), key="kb_archive", on_click=archive, args=(article.id,), icon=":material/archive:")
    with st.expander(t("kb.history"), icon=":material/history:"):
        for version in ui.call(knowledge.history, write=False, actor=actor, article_id=article.id):
            state = (
                t("kb.version_published", when=ui.when(version.published_at))
                if version.published_at
                else t("kb.version_draft")
            )
            st.markdown(
                f"**{t('kb.version', number=version.number)}** · {ui.md(version.title)} · "
                f"{ui.md(version.author)} · {ui.when(version.created_at)} · {state}"
            )


# --- The list ------------------------------------------------------------------------------------


def article_list() -> None:
    top = st.container(horizontal=True, vertical_alignment="bottom")
    words = top.text_input(t("kb.search"), key="kb_words", on_change=reset_page, icon=":material/search:", width=420)
    if WRITER:
        top.space("stretch")
        top.button(t("kb.new"), key="kb_new", on_click=edit, args=("new",), icon=":material/add:")
    # A search counts once (Informes → Conocimiento), not again on each rerun that shows its results.
    fresh = ss.get("kb_counted_words") != words
    ss["kb_counted_words"] = words
    result = ui.call(
        knowledge.list_articles, write=fresh, actor=actor, words=words, page=ss.get("kb_page", 1), record=fresh
    )
    if not result.rows:
        st.info(t("kb.none_found") if words else t("kb.none"))
        return
    st.caption(t("kb.count", total=result.total))
    for row in result.rows:
        with st.container(border=True, gap="small"):
            st.button(ui.md(row.title), key=f"kb_open_{row.id}", on_click=open_article, args=(row.id,), type="tertiary")
            if row.snippet:
                st.caption(ui.highlight(row.snippet))
            st.caption(kv.facts(row))
    ui.pager(result, "kb_page")


def replies_tab() -> None:
    """Respuestas predefinidas of the actor's areas: the advisor inserts them while replying."""
    st.caption(t("kb.replies.help"))
    rows = ui.call(knowledge.canned_replies, write=False, actor=actor)
    areas = dict(ui.call(knowledge.reply_areas, write=False, actor=actor))
    for row in rows:
        with st.expander(f"{ui.md(row.area)} · {ui.md(row.title)}"):
            st.text(row.body)
            if row.area_id in areas:
                st.button(
                    t("kb.replies.delete"),
                    key=f"kb_reply_delete_{row.id}",
                    on_click=delete_reply,
                    args=(row.id,),
                    icon=":material/delete:",
                )
    if not areas:
        return
    with st.form("kb_reply_form", clear_on_submit=True, border=True):
        st.markdown(f"**{t('kb.replies.new')}**")
        st.selectbox(t("kb.replies.area"), options=list(areas), format_func=areas.get, key="kb_reply_area")
        st.text_input(t("kb.field.title") + " *", key="kb_reply_title", max_chars=120)
        st.text_area(t("kb.replies.body") + " *", key="kb_reply_body", max_chars=knowledge.MAX_REPLY, height=140)
        st.form_submit_button(t("kb.replies.save"), on_click=save_reply, icon=":material/save:")


def save_reply() -> None:
    ui.act(
        knowledge.save_canned_reply,
        flash="kb",
        done=t("kb.replies.saved"),
        actor=actor,
        reply_id=None,
        area_id=ss.get("kb_reply_area"),
        title=ss.get("kb_reply_title", ""),
        body=ss.get("kb_reply_body", ""),
    )


def delete_reply(reply_id: int) -> None:
    ui.act(knowledge.delete_canned_reply, flash="kb", done=t("kb.replies.deleted"), actor=actor, reply_id=reply_id)


st.title(t("kb.title"))
ui.show_flash("kb")
wanted = st.query_params.get("articulo")
editing = ss.get("kb_edit")
if WRITER and editing is not None:
    editor(None if editing == "new" else editing)
elif wanted:
    article_page(wanted)
elif STAFF:
    articles_tab, replies = st.tabs([t("kb.articles"), t("kb.replies.title")])
    with articles_tab:
        article_list()
    with replies:
        replies_tab()
else:
    article_list()

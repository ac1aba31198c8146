"""How an article shows, wherever it shows: the Base de conocimiento, the suggestions while registering,
and a reply that quotes one. Its Markdown goes through services/safe_markdown.py, never as HTML."""

from __future__ import annotations

import streamlit as st

from app_pages import ui
from services import knowledge, safe_markdown, screens

t = ui.t


def body_markdown(body: str) -> str:
    """The article's Markdown, made inert (no HTML, no images from elsewhere, only http(s)/mailto links)."""
    return safe_markdown.render(body, cut_note=t("kb.cut"), table_note=t("kb.table_cut"))


def show_body(body: str, *, key: str = "kb_article_body") -> None:
    """The article's text; `key` names its box (one per article on a page: the suggestions)."""
    with st.container(key=key):
        st.markdown(body_markdown(body))


def facts(article: knowledge.ArticleView | knowledge.ArticleRow) -> str:
    """One line under a title: area, who may read it, its state, when it changed, how it helped."""
    parts = [ui.md(article.area) if article.area else t("kb.all_areas")]
    if article.audience == "internal":
        parts.append("🔒 " + t("kb.audience.internal"))
    if article.status != "published":
        parts.append(t(f"kb.status.{article.status}"))
    parts.append(t("kb.updated", when=ui.when(article.updated_at)))
    if article.helpful or article.not_helpful:
        parts.append(f"👍 {article.helpful} · 👎 {article.not_helpful}")
    return " · ".join(parts)


def article_link(article_id: int) -> str:
    """The address of an article, as a requester opens it from a reply."""
    return screens.url("conocimiento", base=ui.settings().app_url, articulo=article_id)

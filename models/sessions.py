"""Login sessions kept on the server: the signed cookie only names a row here, and the row decides."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, utcnow


class UserSession(Base):
    """One login of one user in one browser; ended rows stay for Mi cuenta's history and audits."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        # Mi cuenta lists a user's open sessions; ending them all (logout elsewhere, reset) finds them here.
        sa.Index("ix_user_sessions_user_open", "user_id", "ended_at"),
        # A browser's cookie and a fresh login's grant are looked up by their digests.
        sa.Index("ix_user_sessions_cookie", "cookie_hash", unique=True),
        sa.Index("ix_user_sessions_grant", "cookie_grant_hash", unique=True),
    )

    # A random handle kept in the server's memory for the page session; never sent to a browser.
    id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    ended_at: so.Mapped[datetime | None]
    # Why it ended: logout, password, deactivated, admin, idle, expired, other (ended from another session).
    end_reason: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    remember: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    user_agent: so.Mapped[str] = so.mapped_column(sa.String(300), default="", server_default="")
    # SHA-256 of the secret the HttpOnly cookie carries (signed); set when the browser receives it.
    cookie_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # A one-time code the browser trades for the HttpOnly cookie right after the login (SHA-256, short-lived).
    cookie_grant_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    cookie_grant_expires_at: so.Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<UserSession user={self.user_id} ended={self.ended_at}>"

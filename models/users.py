"""People who use the desk, their role, their login state and their own preferences."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, check_in, utcnow
from models.enums import LANGUAGES, Role, Theme

advisor_areas = sa.Table(
    "advisor_areas",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(check_in("role", list(Role)), name="role"),
        sa.CheckConstraint(check_in("theme", list(Theme)), name="theme"),
        sa.CheckConstraint(check_in("language", LANGUAGES), name="language"),
        sa.CheckConstraint("username = lower(username)", name="username_lower"),
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    full_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    role: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(100))
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    must_change_password: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    password_changed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    failed_logins: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    first_failed_login_at: so.Mapped[datetime | None]
    locked_until: so.Mapped[datetime | None]
    theme: so.Mapped[str] = so.mapped_column(sa.String(8), default=Theme.LIGHT, server_default=Theme.LIGHT.value)
    language: so.Mapped[str] = so.mapped_column(sa.String(2), default="es", server_default="es")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # When this advisor last received a case: ties in automatic assignment go to who waited longest.
    last_assigned_at: so.Mapped[datetime | None]
    # A new address from Mi cuenta waits here until the link sent to it is followed; the old one stays in use.
    pending_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    pending_email_requested_at: so.Mapped[datetime | None]

    areas: so.Mapped[list["Area"]] = so.relationship(secondary=advisor_areas, back_populates="advisors")  # noqa: F821

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

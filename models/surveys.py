"""The requester's answer to "¿Su solicitud fue resuelta?" and the rating that may follow."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, utcnow

# Written once as SQL: a partial index serves a query only when its WHERE repeats this exact term.
COMMENTED_SQL = "comment IS NOT NULL OR rating_comment IS NOT NULL"


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (
        # One answer per resolution of a case: a case resolved again after "No" is asked again.
        sa.UniqueConstraint("case_id", "resolution_round", name="uq_survey_answers_case_round"),
        sa.CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        # Satisfacción counts answers by date without reading the table rows.
        sa.Index("ix_survey_answers_created", "created_at", "case_id", "rating", "resolved"),
        # The latest comments: only answers that carry one (services.reports repeats this predicate).
        sa.Index(
            "ix_survey_answers_commented",
            "created_at",
            sqlite_where=sa.text(COMMENTED_SQL),
            postgresql_where=sa.text(COMMENTED_SQL),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    resolution_round: so.Mapped[int]
    answered_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    resolved: so.Mapped[bool]
    comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    rating: so.Mapped[int | None]
    rating_comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    rated_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

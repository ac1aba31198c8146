"""an open case's search documents carry the scope word sopen

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

The Bandeja's search ranked the newest 1,000 matching cases of any status and only then kept the open ones
its view shows: with a million cases, most of them closed, an open case older than those 1,000 was not
found. Its open views now ask for services.search.OPEN_WORD with the words, inside the index; the desk
writes it on the documents of every open case (and takes it off when the case is resolved or closed).
Only the open cases' documents change here: a few thousand rows however large the desk.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'assigned', 'in_progress', 'waiting')"  # models.cases.OPEN_STATUS_SQL, as of 0015


def upgrade() -> None:
    # On SQLite the update trigger of 0013 moves each document's row in the FTS5 index; on PostgreSQL the
    # GIN index's scope column follows the column.
    op.execute(
        sa.text(
            "UPDATE search_docs SET scope = scope || ' sopen' "
            f"WHERE case_id IN (SELECT id FROM cases WHERE {OPEN}) AND scope NOT LIKE '% sopen'"
        )
    )


def downgrade() -> None:
    op.execute(sa.text("UPDATE search_docs SET scope = replace(scope, ' sopen', '') WHERE scope LIKE '% sopen'"))

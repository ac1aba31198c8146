"""an open case's search documents carry the scope words sopen and o<area>

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

The Bandeja's search ranked the newest 1,000 matching cases of any status and only then kept the open ones
its view shows: with a million cases, most of them closed, an open case older than those 1,000 was not
found. Its open views now ask for services.search.OPEN_WORD (a manager's) or o<area> (an advisor's areas)
with the words, inside the index; the desk writes them on the documents of every open case and takes them
off when the case is resolved or closed. Only the open cases' documents change here: a few thousand rows
however large the desk.
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
    # GIN index's scope column follows the column. The words go last (services.search.scope_words).
    op.execute(
        sa.text(
            "UPDATE search_docs SET scope = scope || ' sopen o' || CAST(area_id AS VARCHAR(12)) "
            f"WHERE case_id IN (SELECT id FROM cases WHERE {OPEN}) AND scope NOT LIKE '% sopen%'"
        )
    )


def downgrade() -> None:
    cut = "instr(scope, ' sopen')" if op.get_bind().dialect.name == "sqlite" else "strpos(scope, ' sopen')"
    op.execute(sa.text(f"UPDATE search_docs SET scope = substr(scope, 1, {cut} - 1) WHERE scope LIKE '% sopen%'"))

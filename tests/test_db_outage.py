"""Issue 20: a database that does not answer is a refusal in words (services.errors.Unavailable), never a
traceback; SQLite's own busy lock is not mistaken for one."""

import pytest
import sqlalchemy as sa

from services.db import make_engine, unit_of_work
from services.errors import Unavailable


def test_a_postgresql_that_refuses_connections_is_unavailable_in_words():
    engine = make_engine("postgresql+psycopg://mesa:mesa@127.0.0.1:1/mesa?connect_timeout=2")
    with pytest.raises(Unavailable) as refused, unit_of_work(engine, write=False) as session:
        session.execute(sa.text("SELECT 1"))
    assert refused.value.key == "error.database_unavailable"
    engine.dispose()


def test_an_sql_error_is_not_an_outage(engine):
    with pytest.raises(sa.exc.DBAPIError) as failed, unit_of_work(engine, write=False) as session:
        session.execute(sa.text("SELECT * FROM no_such_table"))
    assert not isinstance(failed.value, Unavailable)

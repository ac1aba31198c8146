"""The areas' calendars as services/business_time.py reads them: weekly hours, national holidays, exceptions.

Kept apart from services/sla.py (which tells people things) so the daily figures (services/report_days.py)
can read a calendar without the notifications behind them.
"""

from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Area, AreaCalendar, CalendarException, SlaPolicy
from services import business_time, clock, settings
from services.business_time import Calendar


@functools.lru_cache(maxsize=16)
def _national(country: str, first_year: int) -> frozenset[date]:
    return frozenset(business_time.national_holidays(country, range(first_year, first_year + 6)))


def national_holidays(years_from: int | None = None) -> dict[date, str]:
    """The country's holidays (MESA_HOLIDAY_COUNTRY, Colombia by default) from last year on, with names."""
    first = years_from or clock.local_now().year - 1
    return business_time.national_holidays(settings.current().holiday_country, range(first, first + 6))


def calendar_for(session: so.Session | sa.Connection, area_id: int) -> Calendar:
    """The area's calendar; every hour of every day when it has none."""
    row = session.execute(
        sa.select(AreaCalendar.weekly, AreaCalendar.national_holidays).where(AreaCalendar.area_id == area_id)
    ).first()
    if row is None:
        return business_time.ALWAYS
    exceptions = session.execute(
        sa.select(CalendarException.day, CalendarException.hours).where(CalendarException.area_id == area_id)
    ).all()
    holidays = (
        _national(settings.current().holiday_country, clock.local_now().year - 1)
        if row.national_holidays
        else frozenset()
    )
    return Calendar(
        timezone=settings.current().timezone,
        weekly=tuple(tuple((int(s), int(e)) for s, e in day) for day in row.weekly),
        holidays=holidays,
        extra={day: tuple((int(s), int(e)) for s, e in hours) for day, hours in exceptions},
    )


class Calendars:
    """Each area's calendar, read once for one unit of work (a page of the inbox, a recompute)."""

    def __init__(self, session: so.Session):
        self.session, self._known = session, {}

    def __call__(self, area_id: int) -> Calendar:
        if area_id not in self._known:
            self._known[area_id] = calendar_for(self.session, area_id)
        return self._known[area_id]


DEMO_WEEKLY = ("07:00-12:00, 14:00-18:00",) * 5 + ("08:00-12:00", "")


def seed_demo(*, session: so.Session) -> None:
    """The demo's areas work Monday to Friday 7:00–12:00 and 14:00–18:00 and Saturday 8:00–12:00, with
    the national holidays off; first response targets of a quarter of the resolution's."""
    for area in session.scalars(sa.select(Area)):
        if session.get(AreaCalendar, area.id) is None:
            session.add(
                AreaCalendar(
                    area_id=area.id,
                    weekly=[[list(i) for i in business_time.parse_hours(text)] for text in DEMO_WEEKLY],
                    national_holidays=True,
                    updated_at=clock.now(),
                )
            )
        for policy in session.scalars(sa.select(SlaPolicy).where(SlaPolicy.area_id == area.id)):
            if policy.first_response_hours is None:
                policy.first_response_hours = max(1, policy.hours // 4)
    session.flush()

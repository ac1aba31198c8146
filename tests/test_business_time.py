"""Business time (services/business_time.py): the issue's examples in America/Bogota, the text format of
hours, and a property test against a plain minute-by-minute reference on random calendars, zones with and
without daylight saving time, holidays, extra days and pauses.

MESA_HYPOTHESIS_EXAMPLES sets the property tests' example count (2000 by default).
"""

from __future__ import annotations

import copy
import os
import pickle
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from services.business_time import (
    ALWAYS,
    Calendar,
    add_business,
    business_between,
    format_hours,
    hours_on,
    is_business_time,
    national_holidays,
    next_opening,
    parse_hours,
)

BOGOTA = ZoneInfo("America/Bogota")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
EXAMPLES = int(os.environ.get("MESA_HYPOTHESIS_EXAMPLES", "2000"))
CAP_MINUTES = 14 * 24 * 60  # the reference walks at most two weeks of wall time


# --- The reference --------------------------------------------------------------------------------


def reference_hours(calendar: Calendar, day: date) -> tuple:
    """A local date's working intervals, from the rule as the issue states it: extra > holiday > weekly."""
    if day in calendar.extra:
        return calendar.extra[day]
    if day in calendar.holidays:
        return ()
    return calendar.weekly[day.weekday()]


def reference_walk(start: datetime, minutes: int, calendar: Calendar, pauses, cap: int = CAP_MINUTES):
    """Walk minute by minute from ``start`` (naive UTC, whole minute), reading each minute's local wall
    clock: a minute counts when its local time of day is inside its local date's working intervals and no
    pause (whole minutes) covers it. Returns (the end of the minute where the count reaches ``minutes``, or
    None if not within ``cap`` minutes; counts, where counts[i] is the business minutes in the first i)."""
    zone = ZoneInfo(calendar.timezone)
    paused = set()
    for pause_start, pause_end in pauses:
        first = (pause_start - start) // MINUTE
        paused.update(range(max(first, 0), (pause_end - start) // MINUTE))
    working_minutes = {}  # local date -> 1440 flags
    counts = [0]
    if minutes == 0:
        return start, counts
    moment = start.replace(tzinfo=UTC)
    count = 0
    for i in range(cap):
        local = moment.astimezone(zone)
        day = local.date()
        flags = working_minutes.get(day)
        if flags is None:
            flags = working_minutes[day] = bytearray(1440)
            for begin, end in reference_hours(calendar, day):
                flags[begin:end] = b"\1" * (end - begin)
        if flags[local.hour * 60 + local.minute] and i not in paused:
            count += 1
        counts.append(count)
        moment += MINUTE
        if count == minutes:
            return start + (i + 1) * MINUTE, counts
    return None, counts


# --- Random calendars -----------------------------------------------------------------------------

ZONES = [
    "America/Bogota",
    "UTC",
    "America/New_York",
    "Europe/Madrid",
    "America/Santiago",  # changes at local midnight
    "America/Havana",  # changes at local midnight
    "Australia/Lord_Howe",  # a 30-minute change
    "Asia/Kathmandu",  # +05:45
]


def _clock_changes(name: str, years=(2025, 2026)) -> list[date]:
    """The UTC dates on which the zone changes its offset."""
    zone = ZoneInfo(name)
    days = []
    moment = datetime(years[0], 1, 1, tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment.year <= years[-1]:
        moment += HOUR
        offset = moment.astimezone(zone).utcoffset()
        if offset != previous:
            days.append(moment.date())
            previous = offset
    return days


CLOCK_CHANGES = {name: _clock_changes(name) for name in ZONES}
MINUTE_OF_DAY = st.one_of(st.integers(0, 1440), st.sampled_from(range(0, 1441, 60)))
POINTS = st.lists(MINUTE_OF_DAY, max_size=6, unique=True)
CHOICE = st.integers(0, 9)
MINUTE_OF_START = st.integers(0, 1439)
ZONE = st.sampled_from(ZONES)
# Strategies are made once here: making them inside a composite for each example costs more than the test.


@st.composite
def day_hours(draw):
    choice = draw(CHOICE)
    if choice == 0:
        return ((0, 1440),)
    if choice == 1:
        return ((0, 600), (600, 1440))  # touching blocks: one run across the day
    points = sorted(draw(POINTS))
    points = points[: len(points) // 2 * 2]
    return tuple(zip(points[::2], points[1::2], strict=True))


HOURS = day_hours()
ANY_DAY = st.dates(date(2024, 1, 1), date(2027, 12, 31))
# Half the starts fall within days before one of the zone's clock changes.
NEAR_CHANGE = {
    name: st.builds(lambda d, k: d + timedelta(days=k), st.sampled_from(days), st.integers(-3, 0))
    for name, days in CLOCK_CHANGES.items()
    if days
}
START_DAY = {name: st.one_of(ANY_DAY, NEAR_CHANGE[name]) if name in NEAR_CHANGE else ANY_DAY for name in ZONES}
NEAR = st.integers(-2, 30)  # days after the start's date
WEEKLY = st.tuples(*[HOURS] * 7)
HOLIDAYS = st.lists(NEAR, max_size=6)
EXTRA = st.dictionaries(NEAR, HOURS, max_size=4)
DURATION = st.one_of(st.integers(0, 3600), st.integers(0, 120))
PAUSES = st.lists(st.tuples(st.integers(-600, 15000), st.integers(0, 3000)), max_size=4)


@st.composite
def business_cases(draw):
    zone = draw(ZONE)
    day = draw(START_DAY[zone])
    start = datetime.combine(day, datetime.min.time()) + draw(MINUTE_OF_START) * MINUTE
    calendar = Calendar(
        timezone=zone,
        weekly=draw(WEEKLY),
        holidays=frozenset(day + timedelta(days=k) for k in draw(HOLIDAYS)),
        extra={day + timedelta(days=k): hours for k, hours in draw(EXTRA).items()},
    )
    minutes = draw(DURATION)
    pauses = [(start + a * MINUTE, start + (a + length) * MINUTE) for a, length in draw(PAUSES)]
    return calendar, start, minutes, pauses


CASES = business_cases()


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=CASES,
    probes=st.lists(st.integers(0, CAP_MINUTES), min_size=1, max_size=3),
    warm_up=st.integers(-24 * 40, 24 * 20),
)
def test_add_business_agrees_with_the_minute_reference(case, probes, warm_up):
    calendar, start, minutes, pauses = case
    duration = minutes * MINUTE
    # A first question elsewhere puts the edges of the plan's first window anywhere around the start.
    business_between(start + warm_up * HOUR, start + warm_up * HOUR + MINUTE, calendar)
    expected, counts = reference_walk(start, minutes, calendar, pauses)
    zone = ZoneInfo(calendar.timezone)
    walked = start + (len(counts) - 1) * MINUTE
    offsets = {moment.replace(tzinfo=UTC).astimezone(zone).utcoffset() for moment in (start, walked)}
    event("the walk crosses a clock change" if len(offsets) > 1 else "no clock change")
    event("due within the walk" if expected is not None else "due beyond the walk (or never)")
    event("paused" if pauses else "no pause")
    if expected is not None:
        assert add_business(start, duration, calendar, pauses) == expected
        if minutes:
            assert business_between(start, expected, calendar, pauses) == duration
    else:
        try:
            due = add_business(start, duration, calendar, pauses)
        except ValueError:
            assert not any(calendar.weekly), "only a calendar without weekly hours may run out of working time"
        else:
            assert due > start + CAP_MINUTES * MINUTE
    for k in probes:
        if k < len(counts):
            assert business_between(start, start + k * MINUTE, calendar, pauses) == counts[k] * MINUTE
    assert is_business_time(walked, calendar) == bool(reference_hours_at(walked, calendar))


def reference_hours_at(moment: datetime, calendar: Calendar) -> bool:
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(calendar.timezone))
    minute = local.hour * 60 + local.minute
    return any(begin <= minute < end for begin, end in reference_hours(calendar, local.date()))


@settings(max_examples=max(EXAMPLES // 4, 50), deadline=None, database=None)
@given(case=CASES)
# Found by CI: open Monday, Saturday and Sunday, from a Tuesday's midnight the opening is exactly the cap away.
@example(
    case=(
        Calendar(timezone="UTC", weekly=(((0, 1440),), (), (), (), (), ((0, 1440),), ((0, 1440),))),
        datetime(2025, 9, 30, 0, 0),
        0,
        [],
    )
)
def test_next_opening_is_the_first_business_minute(case):
    calendar, start, _, _ = case
    cap = 4 * 24 * 60
    counts = reference_walk(start, 1, calendar, (), cap)[1]
    try:
        opening = next_opening(start, calendar)
    except ValueError:
        assert not any(calendar.weekly)
        return
    if counts[-1]:  # the reference found business time within the cap: its first minute is the opening
        assert opening == start + (len(counts) - 2) * MINUTE
    else:  # the reference walked the cap's minutes, start + cap excluded: the opening is there or later
        assert opening >= start + cap * MINUTE
    assert is_business_time(opening, calendar)


# --- The examples (America/Bogota) -------------------------------------------------------

CO_2026 = national_holidays("CO", [2026])
AREA = Calendar(
    timezone="America/Bogota",
    weekly=(parse_hours("07:00-12:00, 14:00-18:00"),) * 5 + (parse_hours("08:00-12:00"), ()),
    holidays=frozenset(national_holidays("CO", [2025, 2026, 2027])),
)


def utc(*args) -> datetime:
    """A Bogota wall-clock time as the naive UTC the desk stores."""
    return datetime(*args, tzinfo=BOGOTA).astimezone(UTC).replace(tzinfo=None)


def test_colombian_holidays_come_from_the_package_in_spanish():
    assert date(2026, 12, 8) in CO_2026
    assert "Inmaculada" in CO_2026[date(2026, 12, 8)]
    assert 18 <= len(CO_2026) <= 20
    assert all(day.year == 2026 for day in CO_2026)
    assert CO_2026[date(2026, 1, 1)] == "Año Nuevo"
    assert date(2026, 1, 12) in CO_2026  # Reyes moved to Monday: the Monday is the day off
    assert set(national_holidays("co", [2026, 2027])) > set(CO_2026)
    with pytest.raises(ValueError, match="holidays"):
        national_holidays("XX", [2026])


def test_friday_afternoon_with_eight_business_hours_is_due_monday_at_ten():
    # Fri 17-18 (1 h), Sat 8-12 (4 h), Mon 7-10 (3 h).
    start = utc(2026, 11, 27, 17)
    assert start == datetime(2026, 11, 27, 22)
    assert add_business(start, 8 * HOUR, AREA) == utc(2026, 11, 30, 10)
    # 24 business hours: Fri 1 + Sat 4 + Mon 9 + Tue 9 = 23, then Wed 7-8.
    assert add_business(start, 24 * HOUR, AREA) == utc(2026, 12, 2, 8)
    assert business_between(start, utc(2026, 12, 2, 8), AREA) == 24 * HOUR


def test_a_colombian_holiday_is_skipped():
    # Mon 17-18 (1 h), Tue 8 Dec off (Inmaculada Concepción), Wed 7-10 (3 h).
    assert add_business(utc(2026, 12, 7, 17), 4 * HOUR, AREA) == utc(2026, 12, 9, 10)
    assert hours_on(AREA, date(2026, 12, 8)) == ()
    assert not is_business_time(utc(2026, 12, 8, 9), AREA)
    assert next_opening(utc(2026, 12, 7, 18), AREA) == utc(2026, 12, 9, 7)


def test_a_due_time_at_the_end_of_a_block_is_that_end():
    assert add_business(utc(2026, 11, 30, 11), HOUR, AREA) == utc(2026, 11, 30, 12)
    assert add_business(utc(2026, 11, 30, 11), HOUR + MINUTE, AREA) == utc(2026, 11, 30, 14, 1)


def test_outside_hours_the_clock_starts_at_the_next_opening():
    assert add_business(utc(2026, 11, 30, 12, 30), 30 * MINUTE, AREA) == utc(2026, 11, 30, 14, 30)
    assert add_business(utc(2026, 11, 29, 9), HOUR, AREA) == utc(2026, 11, 30, 8)  # from a Sunday
    assert add_business(utc(2026, 11, 30, 5), HOUR, AREA) == utc(2026, 11, 30, 8)


def test_microseconds_are_kept():
    start = utc(2026, 11, 30, 9, 0, 30, 500000)
    assert add_business(start, HOUR, AREA) == utc(2026, 11, 30, 10, 0, 30, 500000)
    assert add_business(start, timedelta(hours=3, microseconds=1), AREA) == utc(2026, 11, 30, 14, 0, 30, 500001)
    assert business_between(start, utc(2026, 11, 30, 10), AREA) == timedelta(
        minutes=59, seconds=29, microseconds=500000
    )


def test_zero_duration_returns_the_start_unchanged():
    sunday = utc(2026, 11, 29, 9, 15, 7, 3)
    assert add_business(sunday, timedelta(0), AREA) == sunday
    assert add_business(sunday, timedelta(0), AREA, [(sunday - HOUR, sunday + HOUR)]) == sunday
    with pytest.raises(ValueError, match="negativa"):
        add_business(sunday, -MINUTE, AREA)


def test_pauses_stop_the_clock():
    start = utc(2026, 11, 30, 7)
    waiting = (utc(2026, 11, 30, 9), utc(2026, 11, 30, 15))  # 9-12 and 14-15: 4 h of business time paused
    assert add_business(start, 4 * HOUR, AREA, [waiting]) == utc(2026, 11, 30, 17)  # 7-9, 15-17
    assert business_between(start, utc(2026, 11, 30, 18), AREA, [waiting]) == 5 * HOUR
    # Overlapping and unsorted pauses are merged; a pause around the start delays it: 8-9, 15-18.
    pauses = [(utc(2026, 11, 30, 10), utc(2026, 11, 30, 11)), (utc(2026, 11, 30, 6), utc(2026, 11, 30, 8)), waiting]
    assert add_business(start, 4 * HOUR, AREA, pauses) == utc(2026, 11, 30, 18)
    assert add_business(start, 4 * HOUR + MINUTE, AREA, pauses) == utc(2026, 12, 1, 7, 1)
    assert business_between(start, utc(2026, 12, 1, 7), AREA, pauses) == 4 * HOUR
    # A pause that ends at the start or starts at the due time changes nothing.
    before, after = (utc(2026, 11, 30, 5), start), (utc(2026, 11, 30, 8), utc(2026, 11, 30, 9))
    assert add_business(start, HOUR, AREA, [before, after]) == utc(2026, 11, 30, 8)
    assert business_between(start, utc(2026, 11, 30, 8), AREA, [before, after]) == HOUR
    # An empty pause changes nothing; one that ends before it starts is refused.
    assert add_business(start, HOUR, AREA, [(utc(2026, 11, 30, 7, 30),) * 2]) == utc(2026, 11, 30, 8)
    with pytest.raises(ValueError, match="pausa"):
        add_business(start, HOUR, AREA, [(utc(2026, 11, 30, 9), utc(2026, 11, 30, 8))])


def test_business_between():
    assert business_between(utc(2026, 11, 30, 0), utc(2026, 12, 1, 0), AREA) == 9 * HOUR
    assert business_between(utc(2026, 11, 28, 0), utc(2026, 11, 30, 0), AREA) == 4 * HOUR  # Sat, Sun
    assert business_between(utc(2026, 12, 1), utc(2026, 11, 30), AREA) == timedelta(0)
    assert business_between(utc(2026, 1, 1), utc(2027, 1, 1), AREA) > 2000 * HOUR


def test_questions_far_apart_in_time():
    # The plan covers a window of days; one far away starts a new window, a nearer one grows it either way.
    calendar = Calendar("America/Bogota", AREA.weekly, AREA.holidays, {date(2000, 1, 3): ()})  # a plan of its own
    for year in (2026, 2041, 2026, 2019, 2032, 2026):
        monday = next(date(year, 6, d) for d in range(1, 8) if date(year, 6, d).weekday() == 0)
        at = datetime.combine(monday, datetime.min.time()).replace(tzinfo=BOGOTA).astimezone(UTC).replace(tzinfo=None)
        assert add_business(at + 17 * HOUR, 2 * HOUR, calendar) == at + 32 * HOUR  # Tuesday 08:00
        assert business_between(at, at + 24 * HOUR, calendar) == 9 * HOUR


def test_is_business_time_and_next_opening():
    assert is_business_time(utc(2026, 11, 30, 7), AREA)
    assert is_business_time(utc(2026, 11, 30, 11, 59, 59, 999999), AREA)
    assert not is_business_time(utc(2026, 11, 30, 12), AREA)
    assert not is_business_time(utc(2026, 11, 30, 6, 59), AREA)
    inside = utc(2026, 11, 30, 9, 30, 1)
    assert next_opening(inside, AREA) is inside
    assert next_opening(utc(2026, 11, 30, 12), AREA) == utc(2026, 11, 30, 14)
    assert next_opening(utc(2026, 11, 28, 12), AREA) == utc(2026, 11, 30, 7)  # Saturday noon: Monday
    assert next_opening(utc(2026, 12, 31, 18), AREA) == utc(2027, 1, 2, 8)  # New Year's Day off, then Saturday


def test_always_is_wall_time():
    start = datetime(2026, 11, 29, 3, 4, 5, 6)
    assert add_business(start, timedelta(days=10, microseconds=1), ALWAYS) == start + timedelta(days=10, microseconds=1)
    assert business_between(start, start + timedelta(days=400), ALWAYS) == timedelta(days=400)
    pause = (start + HOUR, start + 3 * HOUR)
    assert add_business(start, 2 * HOUR, ALWAYS, [pause]) == start + 4 * HOUR
    assert is_business_time(start, ALWAYS)
    assert next_opening(start, ALWAYS) == start
    assert hours_on(ALWAYS, date(2026, 12, 8)) == ((0, 1440),)
    # 24x7 in a zone with daylight saving time is still wall time.
    madrid = Calendar("Europe/Madrid", (((0, 1440),),) * 7)
    assert business_between(datetime(2026, 3, 28), datetime(2026, 3, 30), madrid) == timedelta(days=2)
    assert add_business(datetime(2026, 10, 24), timedelta(days=2), madrid) == datetime(2026, 10, 26)


# --- Daylight saving time ------------------------------------------------------------------------


def test_a_skipped_hour_is_not_worked_and_a_repeated_hour_is_worked_twice():
    new_york = Calendar("America/New_York", (((60, 300),),) * 7)  # 01:00-05:00 every day
    # 2026-03-08 02:00 -> 03:00: 3 h; 2026-11-01 02:00 -> 01:00: 5 h; an ordinary day: 4 h.
    day = timedelta(days=1)
    assert business_between(datetime(2026, 3, 8, 5), datetime(2026, 3, 8, 5) + day, new_york) == 3 * HOUR
    assert business_between(datetime(2026, 11, 1, 4), datetime(2026, 11, 1, 4) + day, new_york) == 5 * HOUR
    assert business_between(datetime(2026, 6, 1, 4), datetime(2026, 6, 1, 4) + day, new_york) == 4 * HOUR
    # 01:00 EST is 06:00 UTC: 01:00-02:00 EST, then 03:00-04:00 EDT (07:00-08:00 UTC).
    assert add_business(datetime(2026, 3, 8, 6), 2 * HOUR, new_york) == datetime(2026, 3, 8, 8)
    # 01:00 EDT (05:00 UTC) + 2 h: 01:00-02:00 EDT, then 01:00-02:00 EST again: 07:00 UTC.
    assert add_business(datetime(2026, 11, 1, 5), 2 * HOUR, new_york) == datetime(2026, 11, 1, 7)


def test_a_year_at_once_in_a_zone_with_summer_time():
    office = Calendar("America/New_York", (((540, 1020),),) * 5 + ((), ()))  # Mon-Fri 09:00-17:00
    weekdays = sum(1 for k in range(365) if (date(2026, 1, 1) + timedelta(days=k)).weekday() < 5)
    assert business_between(datetime(2026, 1, 1, 5), datetime(2027, 1, 1, 5), office) == weekdays * 8 * HOUR
    assert is_business_time(datetime(2026, 7, 1, 13, 30), office)  # 09:30 EDT
    assert not is_business_time(datetime(2026, 7, 1, 12, 30), office)  # 08:30 EDT
    assert add_business(datetime(2026, 7, 1, 12), 30 * MINUTE, office) == datetime(2026, 7, 1, 13, 30)
    assert add_business(datetime(2026, 12, 1, 12), 30 * MINUTE, office) == datetime(2026, 12, 1, 14, 30)


def test_a_change_at_midnight():
    # Santiago: on 2026-04-05 at 00:00 the clock goes back to 23:00 of the 4th; Saturday 22:00-24:00 lasts 3 h.
    santiago = Calendar("America/Santiago", ((),) * 5 + (((1320, 1440),), ()))
    saturday = datetime(2026, 4, 4, 12)
    assert business_between(saturday, saturday + timedelta(days=1), santiago) == 3 * HOUR
    expected, _ = reference_walk(saturday, 150, santiago, ())
    assert add_business(saturday, 150 * MINUTE, santiago) == expected


def test_the_offset_cuts_are_seen_in_any_window():
    """The plan finds a zone's clock changes by probing its offset; whatever one-day window it builds, each
    piece it cuts has the zone's own offset at both ends (changes at any UTC hour, a skipped day in Apia)."""
    zones = {
        "America/New_York": 2026,
        "Europe/Madrid": 2026,
        "America/Santiago": 2026,
        "Asia/Beirut": 2026,  # changes at 22:00 / 21:00 UTC, near the end of a UTC day
        "Australia/Lord_Howe": 2026,
        "Pacific/Chatham": 2026,
        "America/St_Johns": 2026,
        "Pacific/Apia": 2011,  # 2011-12-30 never happened there
    }
    for name, year in zones.items():
        zone = ZoneInfo(name)
        plan = Calendar(name, ((),) * 7)._plan
        first = (date(year, 1, 1) - date(1970, 1, 1)).days
        cuts = 0
        for day in range(first, first + 365):
            segments = plan._segments(day * 86400, (day + 1) * 86400)
            cuts += len(segments) - 1
            assert segments[0][0] == day * 86400 and segments[-1][1] == (day + 1) * 86400
            for (start, end, offset), following in zip(segments, segments[1:] + [None], strict=True):
                for second in (start, end - 1):
                    actual = datetime.fromtimestamp(second, zone).utcoffset()
                    assert actual == timedelta(seconds=offset), (name, datetime.fromtimestamp(second, UTC))
                if following is not None:
                    assert following[0] == end
        assert cuts == len(_clock_changes(name, (year,))) >= 2, name


# --- Calendars without working time --------------------------------------------------------------


def test_a_calendar_without_working_time_raises_instead_of_looping():
    never = Calendar("America/Bogota", ((),) * 7)
    with pytest.raises(ValueError, match="hora hábil"):
        add_business(datetime(2026, 1, 1), HOUR, never)
    with pytest.raises(ValueError, match="hora hábil"):
        next_opening(datetime(2026, 1, 1), never)
    assert business_between(datetime(2026, 1, 1), datetime(2027, 1, 1), never) == timedelta(0)
    assert not is_business_time(datetime(2026, 1, 1), never)


def test_working_time_more_than_three_years_away_raises():
    soon = Calendar("America/Bogota", ((),) * 7, extra={date(2028, 6, 1): ((480, 540),)})
    assert add_business(datetime(2026, 1, 1), 30 * MINUTE, soon) == utc(2028, 6, 1, 8, 30)
    assert next_opening(datetime(2026, 1, 1), soon) == utc(2028, 6, 1, 8)
    with pytest.raises(ValueError, match="tres años"):
        add_business(datetime(2026, 1, 1), 2 * HOUR, soon)  # one hour there, then nothing ever again
    far = Calendar("America/Bogota", ((),) * 7, extra={date(2031, 6, 1): ((480, 540),)})
    with pytest.raises(ValueError, match="tres años"):
        add_business(datetime(2026, 1, 1), 30 * MINUTE, far)


# --- Calendars ------------------------------------------------------------------------------------


def test_hours_on_extra_beats_holiday_beats_weekly():
    calendar = Calendar(
        "America/Bogota",
        AREA.weekly,
        holidays=frozenset({date(2026, 12, 8), date(2026, 12, 9)}),
        extra={date(2026, 12, 8): ((480, 600),), date(2026, 12, 10): ()},
    )
    assert hours_on(calendar, date(2026, 12, 7)) == ((420, 720), (840, 1080))
    assert hours_on(calendar, date(2026, 12, 8)) == ((480, 600),)  # an extra working day on a holiday
    assert hours_on(calendar, date(2026, 12, 9)) == ()
    assert hours_on(calendar, date(2026, 12, 10)) == ()  # an extra day off
    assert hours_on(calendar, date(2026, 12, 12)) == ((480, 720),)
    assert hours_on(calendar, date(2026, 12, 13)) == ()
    # Mon 17-18, Tue 8-10, Wed and Thu off, Fri 7-8.
    assert add_business(utc(2026, 12, 7, 17), 4 * HOUR, calendar) == utc(2026, 12, 11, 8)


def test_calendars_are_hashable_values():
    a = Calendar("America/Bogota", [list(day) for day in AREA.weekly], {date(2026, 12, 8)}, {date(2026, 12, 9): []})
    b = Calendar("America/Bogota", AREA.weekly, frozenset({date(2026, 12, 8)}), {date(2026, 12, 9): ()})
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a.extra[date(2026, 12, 9)] == ()
    assert a != AREA
    add_business(utc(2026, 12, 7, 17), HOUR, a)  # with its plan attached, it still pickles and copies
    for twin in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        assert twin == a and hash(twin) == hash(a)
        assert add_business(utc(2026, 12, 7, 17), 2 * HOUR, twin) == utc(2026, 12, 10, 8)


@pytest.mark.parametrize(
    ("weekly", "message"),
    [
        (((),) * 6, "7 días"),
        (((),) * 6 + (((600, 500),),), "domingo"),
        ((((0, 1500),),) + ((),) * 6, "lunes"),
        ((((0, 600), (500, 700)),) + ((),) * 6, "superponerse"),
    ],
)
def test_bad_calendars_are_refused(weekly, message):
    with pytest.raises(ValueError, match=message):
        Calendar("America/Bogota", weekly)


def test_an_unknown_zone_is_refused():
    with pytest.raises(ValueError, match="zona horaria"):
        Calendar("America/Macondo", ((),) * 7)


# --- Hours as text --------------------------------------------------------------------------------


def test_parse_hours():
    assert parse_hours("07:00-12:00, 14:00-18:00") == ((420, 720), (840, 1080))
    assert parse_hours("") == ()
    assert parse_hours("   ") == ()
    assert parse_hours("14:00 - 18:00; 7:00–12:00") == ((420, 720), (840, 1080))
    assert parse_hours("00:00-24:00") == ((0, 1440),)
    assert parse_hours("8-12") == ((480, 720),)
    assert parse_hours("07:00-12:00, 12:00-13:00") == ((420, 720), (720, 780))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("07:00-25:00", "La hora 25:00 no es válida"),
        ("07:60-12:00", "La hora 07:60 no es válida"),
        ("24:30-12:00", "La hora 24:30 no es válida"),
        ("24:00-24:00", "solo puede cerrar un tramo"),
        ("12:00-07:00", "En el tramo 12:00-07:00 la hora final debe ser posterior a la inicial"),
        ("09:00-09:00", "la hora final debe ser posterior"),
        ("07:00-12:00, 11:00-13:00", "Los tramos 07:00-12:00 y 11:00-13:00 se superponen"),
        ("de 7 a 12", "No se entiende el tramo «de 7 a 12»"),
        ("07:00-12:00-14:00", "No se entiende"),
        ("7:00am-12:00", "No se entiende"),
    ],
)
def test_parse_hours_refuses_in_spanish(text, message):
    with pytest.raises(ValueError, match=message):
        parse_hours(text)


def test_format_hours_round_trip():
    assert format_hours(((420, 720), (840, 1080))) == "07:00-12:00, 14:00-18:00"
    assert format_hours(()) == ""
    assert format_hours([[0, 1440]]) == "00:00-24:00"
    for text in ("07:00-12:00, 14:00-18:00", "08:00-12:00", "", "00:05-00:06, 23:59-24:00"):
        assert format_hours(parse_hours(text)) == text


@settings(max_examples=200, deadline=None, database=None)
@given(hours=HOURS)
def test_format_then_parse_is_identity(hours):
    assert parse_hours(format_hours(hours)) == hours

"""Business time: working hours per weekday (with breaks), holidays and exceptions, in a time zone.

A Calendar says which wall-clock minutes of each local date are working time:
``hours_on(calendar, day)`` is the date's own hours in ``extra`` if it has any entry there (an extra
working day, or an empty tuple for an extra day off), else nothing if the date is in ``holidays``, else
the weekly hours of its weekday. Everything else here is pure and works on instants given as naive UTC
datetimes (what the desk stores); an aware datetime is accepted and taken as the instant it names.

The rules, decided once:

* Business time is the set of instants whose local wall-clock reading (date and time of day in the
  calendar's zone) falls inside that date's working intervals, each interval ``[start, end)`` in minutes
  from local midnight. So on a day whose clock skips an hour (spring forward) the skipped wall time adds
  nothing (a 01:00-05:00 block across a 02:00->03:00 jump is 3 h), and on a day whose clock repeats an
  hour (fall back) the repeated wall time counts both times (01:00-05:00 across 02:00->01:00 is 5 h).
  Zones without daylight saving time, America/Bogota among them, are unaffected.
* ``add_business(start, duration)`` is the earliest instant t >= start at which ``duration`` of business
  time outside ``pauses`` has elapsed since start; a due time that falls at the end of a block is that
  end (12:00), not the next opening (14:00). A zero duration returns ``start`` unchanged, whatever the
  calendar. Microseconds are kept: all arithmetic is in integer microseconds.
* Pauses are closed intervals of naive UTC instants, in any order, possibly overlapping; a pause that
  ends before it starts is an error.
* A calendar without any working time raises ``ValueError`` when working time is needed, and so does
  one whose next working time is more than three years away (the search stops there instead of
  looping on).

Speed: each Calendar (by value: equal calendars share it) gets a plan, a sorted list of its working
intervals as UTC microseconds with running totals, built lazily for a window of days around the
instants asked about and grown (doubling, up to a year at a time) as needed. A query is then a couple
of binary searches. Calendar is frozen and hashable, so it can be a dict key.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[int, int]

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
HORIZON = timedelta(days=3 * 366)  # no working time within this span ahead: ValueError

_MIN = 60_000_000  # microseconds in a minute
_DAY = 86_400_000_000  # microseconds in a day
_SEC = 1_000_000
_EPOCH = datetime(1970, 1, 1)
_EPOCH_ORD = _EPOCH.toordinal()
_ONE_US = timedelta(microseconds=1)
_HORIZON_US = HORIZON // _ONE_US
_FIRST_DAY = date(2, 1, 1).toordinal() - _EPOCH_ORD  # the plans stay well inside datetime's range
_LAST_DAY = date(9998, 12, 31).toordinal() - _EPOCH_ORD
_PROBE_S = 3 * 3600  # zone offsets are probed every 3 h; transitions closer together than that are not seen
_FAR_DAYS = 3660  # a query further than this outside a plan's window starts a new window instead of filling the gap
_PLAN_CACHE_SIZE = 256


class FrozenMap(Mapping):
    """A read-only, hashable mapping (what Calendar keeps its ``extra`` days in)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping | Iterable = ()):
        self._data = dict(data)
        self._hash = None

    def __getitem__(self, key):
        return self._data[key]

    def __contains__(self, key) -> bool:
        return key in self._data

    def get(self, key, default=None):
        return self._data.get(key, default)

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        return self._data == other if isinstance(other, dict) else Mapping.__eq__(self, other)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self):  # the cached hash is not carried: it differs between processes
        return (FrozenMap, (self._data,))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _checked(intervals, where: str) -> tuple[Interval, ...]:
    """The intervals as a tuple of int pairs, or ValueError: each 0 <= start < end <= 1440, sorted, disjoint."""
    result = []
    for item in intervals:
        try:
            start, end = item
        except (TypeError, ValueError):
            raise ValueError(f"Horario no válido {where}: {item!r} no es un tramo (inicio, fin)") from None
        if not (isinstance(start, int) and isinstance(end, int)):
            raise ValueError(f"Horario no válido {where}: los tramos se dan en minutos enteros")
        if not 0 <= start < end <= 1440:
            raise ValueError(f"Horario no válido {where}: el tramo {start}-{end} no cabe en el día (0 a 1440 minutos)")
        if result and start < result[-1][1]:
            raise ValueError(f"Horario no válido {where}: los tramos deben ir en orden y sin superponerse")
        result.append((start, end))
    return tuple(result)


@lru_cache(maxsize=1024)
def _checked_cached(intervals: tuple, where: str) -> tuple[Interval, ...]:
    return _checked(intervals, where)


def _checked_once(intervals, where: str) -> tuple[Interval, ...]:
    """_checked, remembered for hashable input (calendars are often rebuilt from the same rows)."""
    try:
        return _checked_cached(intervals, where)
    except TypeError:  # unhashable: lists
        return _checked(intervals, where)


@dataclass(frozen=True)
class Calendar:
    """Working hours in a zone: ``weekly`` has 7 entries (Monday first) of sorted, disjoint intervals in
    minutes from local midnight; ``holidays`` are local dates off; ``extra`` maps local dates to the
    hours that replace that date's (weekly or holiday) ones, an empty tuple being a day off.

    Frozen and hashable (``extra`` is kept as a FrozenMap; any mapping may be given), so usable as a dict key.
    """

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    extra: Mapping[date, tuple[Interval, ...]] = FrozenMap()

    def __post_init__(self):
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"La zona horaria «{self.timezone}» no existe") from None
        weekly = tuple(self.weekly)
        if len(weekly) != 7:
            raise ValueError("El horario semanal debe tener 7 días, de lunes a domingo")
        weekly = tuple(_checked_once(day, f"del {name}") for day, name in zip(weekly, WEEKDAYS, strict=True))
        holidays = self.holidays
        if type(holidays) is not frozenset or not all(type(day) is date for day in holidays):
            holidays = frozenset(_as_date(day) for day in holidays)  # else kept: its hash is computed once
        extra = FrozenMap(
            (_as_date(day), _checked_once(hours, f"del {_as_date(day).isoformat()}"))
            for day, hours in self.extra.items()
        )
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "extra", extra)

    def __getstate__(self):  # pickle and copy without the plan (it holds a lock; it is rebuilt or found again)
        state = dict(self.__dict__)
        state.pop("_plan", None)
        return state

    @cached_property
    def _plan(self) -> _Plan:
        plan = _PLANS.get(self)
        if plan is None:
            plan = _Plan(self)
            with _PLANS_LOCK:
                if len(_PLANS) >= _PLAN_CACHE_SIZE:
                    _PLANS.pop(next(iter(_PLANS)))
                plan = _PLANS.setdefault(self, plan)
        return plan


def _as_date(day) -> date:
    if isinstance(day, datetime):
        return day.date()
    if isinstance(day, date):
        return day
    raise ValueError(f"{day!r} no es una fecha")


ALWAYS = Calendar("UTC", (((0, 1440),),) * 7)
"""Every minute of every day: business time is wall time (in any zone)."""


# --- Hours as text --------------------------------------------------------------------------------

_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?")


def _parse_time(text: str, piece: str) -> int:
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"No se entiende el tramo «{piece}»: escriba las horas así: 07:00-12:00")
    hours, minutes = int(match[1]), int(match[2] or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValueError(f"La hora {text} no es válida")
    return hours * 60 + minutes


def parse_hours(text: str) -> tuple[Interval, ...]:
    """'07:00-12:00, 14:00-18:00' -> ((420, 720), (840, 1080)); '' -> ().

    Blocks are separated by commas or semicolons, in any order (they come back sorted); a time is H, HH,
    H:MM or HH:MM, and 24:00 may end a block. Bad input raises ValueError with a message in Spanish."""
    blocks = []
    for raw in re.split(r"[,;]", text or ""):
        piece = raw.strip()
        if not piece:
            continue
        parts = re.split(r"\s*[-–—]\s*", piece)
        if len(parts) != 2:
            raise ValueError(f"No se entiende el tramo «{piece}»: escriba las horas así: 07:00-12:00")
        start, end = (_parse_time(part, piece) for part in parts)
        if start == 1440:
            raise ValueError(f"La hora {parts[0]} solo puede cerrar un tramo, no abrirlo")
        if end <= start:
            raise ValueError(f"En el tramo {_clock(start)}-{_clock(end)} la hora final debe ser posterior a la inicial")
        blocks.append((start, end))
    blocks.sort()
    for (s1, e1), (s2, e2) in zip(blocks, blocks[1:], strict=False):
        if s2 < e1:
            raise ValueError(f"Los tramos {_clock(s1)}-{_clock(e1)} y {_clock(s2)}-{_clock(e2)} se superponen")
    return tuple(blocks)


def format_hours(intervals: Iterable[Sequence[int]]) -> str:
    """((420, 720), (840, 1080)) -> '07:00-12:00, 14:00-18:00'; () -> ''. The inverse of parse_hours."""
    return ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in intervals)


# --- Holidays -------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _national(country: str, years: tuple[int, ...]) -> tuple[tuple[date, str], ...]:
    import holidays as holidays_package  # imported on first use: the core needs it only for this

    try:
        probe = holidays_package.country_holidays(country)
    except NotImplementedError:
        raise ValueError(f"El paquete holidays no tiene los festivos del país «{country}»") from None
    language = "es" if "es" in (getattr(probe, "supported_languages", None) or ()) else None
    table = holidays_package.country_holidays(country, years=years, language=language)
    wanted = set(years)
    return tuple((day, table[day]) for day in sorted(table) if day.year in wanted)


def national_holidays(country: str, years: Iterable[int]) -> dict[date, str]:
    """The country's public holidays in those years, from the holidays package ({date: name}, names in
    Spanish where the package has them). For Colombia these are the days actually off (a holiday moved
    to Monday by law is listed on that Monday)."""
    return dict(_national(country.upper(), tuple(sorted({int(y) for y in years}))))


# --- The plan: working intervals as UTC microseconds ----------------------------------------------


def hours_on(calendar: Calendar, day: date) -> tuple[Interval, ...]:
    """The working intervals of a local date: its ``extra`` entry, else none on a holiday, else the weekly ones."""
    extra = calendar.extra.get(day)
    if extra is not None:
        return extra
    if day in calendar.holidays:
        return ()
    return calendar.weekly[day.weekday()]


_PLANS: dict[Calendar, _Plan] = {}
_PLANS_LOCK = threading.Lock()
_INF = 1 << 62


class _Plan:
    """A calendar's working time between two UTC midnights, as sorted disjoint [start, end) intervals in
    microseconds since the epoch, with ``cum[i]`` the working time before interval i (``cum[-1]`` the total).

    ``state`` = (lo, hi, starts, ends, cum) is replaced whole when the window grows, so a reader that took
    it once sees one consistent window without locking."""

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        self.lock = threading.Lock()
        full = ((0, 1440),)
        self.always = all(day == full for day in calendar.weekly) and all(
            calendar.extra.get(day) == full for day in calendar.holidays | set(calendar.extra)
        )
        self.never = not any(calendar.weekly) and not any(calendar.extra.values())
        if self.always:
            self.state = (-_INF, _INF, [-_INF], [_INF], [0, 2 * _INF])
        else:
            self.state = (0, 0, [], [], [0])

    # The window

    def covering(self, a: int, b: int) -> tuple:
        """A state whose window holds [a, b] (a <= b, microseconds)."""
        state = self.state
        if state[0] <= a and b < state[1]:
            return state
        with self.lock:
            state = self.state
            if state[0] <= a and b < state[1]:
                return state
            first, last = a // _DAY - 1, b // _DAY + 2
            if first < _FIRST_DAY or last > _LAST_DAY:
                raise ValueError("La fecha está fuera del rango que se puede calcular")
            lo, hi, starts, ends, _ = state
            lo, hi = lo // _DAY, hi // _DAY
            if lo == hi or first > hi + _FAR_DAYS or last < lo - _FAR_DAYS:
                lo, hi = first, max(last, first + 16)
                starts, ends = self._build(lo, hi)
            else:
                step = min(366, max(16, hi - lo))
                if first < lo:
                    new_lo = max(min(first, lo - step), _FIRST_DAY)
                    more_starts, more_ends = self._build(new_lo, lo)
                    starts, ends = _joined(more_starts, more_ends, starts, ends)
                    lo = new_lo
                if last > hi:
                    new_hi = min(max(last, hi + step), _LAST_DAY)
                    more_starts, more_ends = self._build(hi, new_hi)
                    starts, ends = _joined(starts, ends, more_starts, more_ends)
                    hi = new_hi
            cum = list(accumulate((e - s for s, e in zip(starts, ends, strict=True)), initial=0))
            self.state = state = (lo * _DAY, hi * _DAY, starts, ends, cum)
            return state

    def _offset_s(self, t: int) -> int:
        offset = datetime.fromtimestamp(t, self.zone).utcoffset()
        return offset.days * 86400 + offset.seconds

    def _segments(self, t0: int, t1: int) -> list[tuple[int, int, int]]:
        """[t0, t1) in UTC seconds cut where the zone's offset changes: (start, end, offset seconds)."""
        segments = []
        start, offset = t0, self._offset_s(t0)
        probe = t0
        while probe < t1:
            nxt = min(probe + _PROBE_S, t1)
            if self._offset_s(nxt) != offset:
                low, high = probe, nxt  # the offset at low is the old one, at high a new one
                while high - low > 1:
                    mid = (low + high) // 2
                    if self._offset_s(mid) == offset:
                        low = mid
                    else:
                        high = mid
                if high < t1:  # a change at t1 itself belongs to the next window
                    segments.append((start, high, offset))
                    start, offset = high, self._offset_s(high)
            probe = nxt
        segments.append((start, t1, offset))
        return segments

    def _build(self, first_day: int, end_day: int) -> tuple[list[int], list[int]]:
        """The working intervals of the UTC days [first_day, end_day) (days since the epoch), clipped to them."""
        calendar = self.calendar
        starts: list[int] = []
        ends: list[int] = []
        for seg_start, seg_end, offset_s in self._segments(first_day * 86400, end_day * 86400):
            offset = offset_s * _SEC
            local_lo, local_hi = seg_start * _SEC + offset, seg_end * _SEC + offset
            for day_number in range(local_lo // _DAY, (local_hi - 1) // _DAY + 1):
                intervals = hours_on(calendar, date.fromordinal(_EPOCH_ORD + day_number))
                base = day_number * _DAY
                for start_min, end_min in intervals:
                    start = max(base + start_min * _MIN, local_lo) - offset
                    end = min(base + end_min * _MIN, local_hi) - offset
                    if start >= end:
                        continue
                    if ends and ends[-1] == start:
                        ends[-1] = end
                    else:
                        starts.append(start)
                        ends.append(end)
        return starts, ends

    # Queries (microseconds)

    def between(self, a: int, b: int) -> int:
        """Working time in [a, b), a <= b."""
        state = self.covering(a, b)
        return _before(state, b) - _before(state, a)

    def locate(self, a: int, amount: int) -> int:
        """The earliest t >= a with ``amount`` (> 0) of working time in [a, t)."""
        if self.never:
            raise ValueError("El calendario no tiene ninguna hora hábil")
        state = self.covering(a, a)
        while True:
            lo, hi, starts, ends, cum = state
            target = _before(state, a) + amount
            if target <= cum[-1]:
                j = bisect_left(cum, target) - 1
                return starts[j] + target - cum[j]
            if hi - max(a, ends[-1] if ends else a) > _HORIZON_US:
                raise ValueError("El calendario no tiene horas hábiles en los próximos tres años")
            state = self.covering(a, hi)

    def is_open(self, u: int) -> bool:
        _, _, starts, ends, _ = self.covering(u, u)
        i = bisect_right(starts, u) - 1
        return i >= 0 and u < ends[i]

    def next_open(self, u: int) -> int:
        if self.never:
            raise ValueError("El calendario no tiene ninguna hora hábil")
        state = self.covering(u, u)
        while True:
            _, hi, starts, ends, _ = state
            i = bisect_right(starts, u) - 1
            if i >= 0 and u < ends[i]:
                return u
            if i + 1 < len(starts):
                return starts[i + 1]
            if hi - u > _HORIZON_US:
                raise ValueError("El calendario no tiene horas hábiles en los próximos tres años")
            state = self.covering(u, hi)


def _joined(starts1, ends1, starts2, ends2) -> tuple[list[int], list[int]]:
    if starts2 and ends1 and ends1[-1] == starts2[0]:  # a block running across the seam
        return starts1 + starts2[1:], ends1[:-1] + ends2
    return starts1 + starts2, ends1 + ends2


def _before(state, u: int) -> int:
    """Working time from the window's start to u."""
    _, _, starts, ends, cum = state
    i = bisect_right(starts, u) - 1
    if i < 0:
        return 0
    end = ends[i]
    return cum[i] + (u if u < end else end) - starts[i]


# --- Instants ------------------------------------------------------------------------------------


def _us(moment: datetime) -> int:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment - _EPOCH) // _ONE_US


def _moment(us: int) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=us)
    except OverflowError:
        raise ValueError("La fecha está fuera del rango que se puede calcular") from None


def _pauses(pauses: Iterable[tuple[datetime, datetime]]) -> list[list[int]]:
    """The pauses as sorted, merged [start, end] microsecond pairs (empty ones dropped)."""
    spans = []
    for start, end in pauses:
        a, b = _us(start), _us(end)
        if b < a:
            raise ValueError(f"La pausa del {start:%Y-%m-%d %H:%M} termina antes de empezar")
        if b > a:
            spans.append((a, b))
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


def add_business(
    start: datetime,
    duration: timedelta,
    calendar: Calendar,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> datetime:
    """The instant (naive UTC) when ``duration`` of business time outside ``pauses`` has elapsed since
    ``start`` (naive UTC): the earliest such instant. A zero duration returns ``start`` unchanged.

    ValueError for a negative duration, a calendar without working time, or none within three years."""
    amount = duration // _ONE_US
    if amount <= 0:
        if amount < 0:
            raise ValueError("La duración no puede ser negativa")
        return start
    plan = calendar._plan
    a = _us(start)
    if pauses:
        for pause_start, pause_end in _pauses(pauses):
            if pause_end <= a:
                continue
            if pause_start <= a:
                a = pause_end
                continue
            due = plan.locate(a, amount)
            if due <= pause_start:
                return _moment(due)
            amount -= plan.between(a, pause_start)
            a = pause_end
    return _moment(plan.locate(a, amount))


def business_between(
    start: datetime,
    end: datetime,
    calendar: Calendar,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> timedelta:
    """Business time in [start, end) outside ``pauses``; zero when end <= start."""
    a, b = _us(start), _us(end)
    if b <= a:
        return timedelta(0)
    plan = calendar._plan
    total = plan.between(a, b)
    if pauses:
        for pause_start, pause_end in _pauses(pauses):
            lo, hi = max(pause_start, a), min(pause_end, b)
            if lo < hi:
                total -= plan.between(lo, hi)
    return timedelta(microseconds=total)


def is_business_time(moment: datetime, calendar: Calendar) -> bool:
    """Whether the instant (naive UTC) is inside the calendar's working hours."""
    return calendar._plan.is_open(_us(moment))


def next_opening(moment: datetime, calendar: Calendar) -> datetime:
    """``moment`` itself when it is business time, else the next instant (naive UTC) when business time starts.

    ValueError for a calendar without working time, or none within three years."""
    u = _us(moment)
    opening = calendar._plan.next_open(u)
    return moment if opening == u else _moment(opening)

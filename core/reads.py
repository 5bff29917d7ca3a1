"""Hot reads compiled once per process: a recommendation request's, a room socket's join.

Building and compiling a queryset costs the ORM about a millisecond of CPU, several times
what the database takes to answer the small indexed reads a request makes (measured on the
bench data: 1.2 ms of ORM work around a 0.3 ms query; a join's admission read, with its three
subqueries, about 3 ms). These reads have a fixed shape, so a
`CompiledRead` builds its queryset once, with marker arguments, keeps the SQL the ORM made for
the database in use, and on each call swaps the markers' places in the parameters for the
caller's values (adapted as the ORM adapts them) and runs the rows through the converters the
ORM would apply. The SQL is the ORM's, so it suits SQLite and PostgreSQL alike. A list
argument must only feed IN lookups: it is padded to a power of two by repeating its last item,
and compiled once per padded length. A shape whose markers cannot all be found in the
parameters (the ORM inlined one) falls back to running the queryset as is.

This leans on the SQL compiler's undocumented parts (`query.get_compiler`, `as_sql`,
`select`, `col_count`, `get_converters`, `results_iter(tuple_expected=True)`), which change
between Django releases without notice. CHECKED_DJANGO lists the releases it was checked
against; recommendations/tests/test_reads.py fails on any other until it is checked again (run that file and
bench/recommendations.py) and the release added.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import django
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router

# Django releases (major, minor) whose compiler CompiledRead was checked against.
CHECKED_DJANGO = ((5, 2),)


def checked_here() -> bool:
    return tuple(django.VERSION[:2]) in CHECKED_DJANGO


# What each kind of argument is adapted like: the ORM's own fields do it.
_FIELDS: dict[str, models.Field] = {
    "uuid": models.UUIDField(),
    "int": models.BigIntegerField(),
    "str": models.TextField(),
    "datetime": models.DateTimeField(),
}
_marker_numbers = itertools.count(1)


def _marker(kind: str):
    """A value no caller passes, unique in this process."""
    n = next(_marker_numbers)
    if kind == "uuid":
        return uuid.UUID(int=(0x7E57 << 112) | n)
    if kind == "int":
        return 7_919_000_000_000_000 + n
    if kind == "str":
        return f"\x1fmarker:{n}"
    if kind == "datetime":
        return datetime(1901, 2, 3, tzinfo=UTC) + timedelta(microseconds=n)
    raise ValueError(f"unknown argument kind {kind!r}")


def _padded(values: list) -> list:
    """An IN list grown to the next power of two by repeating its last item (which changes
    nothing it matches), so a read has a few shapes to compile, not one per length."""
    size = 1
    while size < len(values):
        size *= 2
    return values + values[-1:] * (size - len(values)) if values else values


class _Plan:
    __slots__ = ("sql", "params", "slots", "converters", "empty", "fallback")

    def __init__(self, *, sql="", params=(), slots=(), converters=(), empty=False, fallback=False):
        self.sql, self.params, self.slots = sql, params, slots
        self.converters, self.empty, self.fallback = converters, empty, fallback


class CompiledRead:
    """`build(*args)` returns a values_list queryset; `read(*args)` returns its rows as tuples.

    `kinds` names each argument: "uuid", "int", "str", "datetime", or a list of one of them
    ("uuid[]", ...). Plans are kept per database connection and thread, and per list length.
    """

    def __init__(self, build: Callable, *kinds: str, model: type[models.Model]):
        self.build = build
        self.kinds = kinds
        self.model = model
        self._plans: dict[tuple, _Plan] = {}
        self._lock = threading.Lock()

    def __call__(self, *given: Any) -> list[tuple]:
        if len(given) != len(self.kinds):
            raise TypeError(f"expected {len(self.kinds)} arguments, got {len(given)}")
        args = [_padded(list(a)) if kind.endswith("[]") else a for a, kind in zip(given, self.kinds, strict=True)]
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        shape = (
            alias,
            threading.get_ident(),
            *(len(a) for a, k in zip(args, self.kinds, strict=True) if k[-2:] == "[]"),
        )
        plan = self._plans.get(shape)
        if plan is None:
            plan = self._compile(args, connection)
            with self._lock:
                self._plans[shape] = plan
        if plan.empty:
            return []
        if plan.fallback:
            queryset = self.build(*args)
            compiler = queryset.query.get_compiler(using=queryset.db)
            return list(compiler.results_iter(tuple_expected=True))  # tuples, even for flat=True
        params = list(plan.params)
        for position, arg, item, kind in plan.slots:
            value = args[arg] if item is None else args[arg][item]
            params[position] = self._adapt(kind, value, connection)
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if not plan.converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            row = list(row)
            for pos, convs, expression in plan.converters:
                value = row[pos]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[pos] = value
            converted.append(tuple(row))
        return converted

    def _compile(self, args: list, connection) -> _Plan:
        markers: list[Any] = []
        wanted: dict[Any, tuple[int, int | None, str]] = {}
        for index, (arg, kind) in enumerate(zip(args, self.kinds, strict=True)):
            base = kind.removesuffix("[]")
            if kind.endswith("[]"):
                values = [_marker(base) for _ in arg]
                markers.append(values)
                for item, value in enumerate(values):
                    wanted[self._adapt(base, value, connection)] = (index, item, base)
            else:
                value = _marker(base)
                markers.append(value)
                wanted[self._adapt(base, value, connection)] = (index, None, base)
        try:
            queryset = self.build(*markers)
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _Plan(empty=True)
        except (TypeError, ValueError):  # the markers did not suit the build (not a plain filter value)
            return _Plan(fallback=True)
        slots, found = [], set()
        for position, param in enumerate(params):
            try:
                where = wanted.get(param)
            except TypeError:  # an unhashable parameter (a list): not a marker
                where = None
            if where is not None:
                slots.append((position, *where))
                found.add(where)
        if len(found) != len(wanted):  # the ORM put a marker in the SQL text, or left it out
            return _Plan(fallback=True)
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = tuple(
            (pos, convs, expression) for pos, (convs, expression) in compiler.get_converters(fields).items()
        )
        return _Plan(sql=sql, params=tuple(params), slots=tuple(slots), converters=converters)

    @staticmethod
    def _adapt(kind: str, value, connection):
        return _FIELDS[kind].get_db_prep_value(value, connection, prepared=False)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()

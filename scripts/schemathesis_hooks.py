"""Schemathesis hooks for scripts/schemathesis.sh.

Two rules a schema cannot state, which the service enforces with a 422 naming the field
(schemathesis would count that as schema-valid input rejected):
- a window's end must not come before its start (each query parameter is described on its
  own): generated windows are put the right way round;
- a hold's `hold_until` must be later than now: a generated time in the past is moved a
  day ahead.
Everything else is generated from the schema as served.
"""

from datetime import datetime, timedelta, timezone

import schemathesis

WINDOWS = (("created_from", "created_to"), ("from", "to"))


def _instant(value):
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@schemathesis.hook
def map_case(context, case):
    body = case.body
    if isinstance(body, dict):
        until = _instant(body.get("hold_until"))
        if until is not None and until <= datetime.now(timezone.utc):
            body["hold_until"] = (datetime.now(timezone.utc) + timedelta(days=1)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
    query = case.query
    if not isinstance(query, dict):
        return case
    for start, end in WINDOWS:
        a, b = _instant(query.get(start)), _instant(query.get(end))
        if a is not None and b is not None and a > b:
            query[start], query[end] = query[end], query[start]
    return case

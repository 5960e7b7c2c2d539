"""Schemathesis hooks for scripts/schemathesis.sh.

An OpenAPI schema describes each query parameter on its own, so it cannot say that a
window's end must not come before its start. The service refuses a reversed window with a
422 naming the parameter, which schemathesis would count as schema-valid input rejected.
This hook puts generated windows the right way round; everything else is generated from
the schema as served.
"""

from datetime import datetime

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
    query = case.query
    if not isinstance(query, dict):
        return case
    for start, end in WINDOWS:
        a, b = _instant(query.get(start)), _instant(query.get(end))
        if a is not None and b is not None and a > b:
            query[start], query[end] = query[end], query[start]
    return case

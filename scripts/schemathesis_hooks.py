"""Schemathesis hooks for scripts/schemathesis.sh.

An OpenAPI schema describes each field on its own, so it cannot say that a window's end
must not come before its start, nor that moving to `assigned` needs an `assignee_id` (the
field is optional for other targets). The service refuses both with a 422 naming the field,
which schemathesis would count as schema-valid input rejected. These hooks put generated
windows the right way round and name an assignee when assigning; everything else is
generated from the schema as served.
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
    body = case.body
    if isinstance(body, dict) and body.get("status") == "assigned" and body.get("assignee_id") is None:
        body["assignee_id"] = "schemathesis-assignee"
    query = case.query
    if not isinstance(query, dict):
        return case
    for start, end in WINDOWS:
        a, b = _instant(query.get(start)), _instant(query.get(end))
        if a is not None and b is not None and a > b:
            query[start], query[end] = query[end], query[start]
    return case

"""schemathesis hooks for ferrocrud's API fuzzing (scripts/api-fuzz.sh).

A query generated from the document holds random values in the limiting
keys (`x-limiting-keys`: the fields a role's rules pin, such as `owner`),
so nearly every request would be refused before reaching the service. For
the fuzzing user's role, this hook pins them to the user's id, as a real
client does, so that generated requests go past authorization into
validation, the service and the database.
"""

import json
import os

import schemathesis

USER_ID = os.environ["FERROCRUD_FUZZ_USER_ID"]
ROLE = os.environ.get("FERROCRUD_FUZZ_ROLE", "user")


def _limiting_keys(operation):
    for parameter in operation.definition.raw.get("parameters", []):
        if parameter.get("name") == "query" and parameter.get("in") == "query":
            return parameter.get("x-limiting-keys", {}).get(ROLE, [])
    return []


@schemathesis.hook
def map_case(context, case):
    keys = _limiting_keys(case.operation)
    if not keys:
        return case
    params = case.query if case.query is not None else {}
    # JSON-content parameters arrive as their JSON text, and leave as text.
    query = params.get("query", "{}")
    as_text = isinstance(query, str)
    if as_text:
        try:
            query = json.loads(query)
        except ValueError:
            return case
    if not isinstance(query, dict):
        return case
    for key in keys:
        query[key] = USER_ID
    params["query"] = json.dumps(query) if as_text or "query" not in params else query
    case.query = params
    return case

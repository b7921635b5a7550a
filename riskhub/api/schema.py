"""Document the one error shape on every operation of the OpenAPI schema.

Rather than decorating each view, a post-processing hook adds 401 and 403 to every
operation, 404 to operations on one object, and 400 to writes and filtered lists.
"""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
        }
    },
}
_DESCRIPTIONS = {
    "400": "Invalid input",
    "401": "Not signed in",
    "403": "Role not allowed",
    "404": "Not found",
    "409": "Edit conflict: someone else saved first",
    "415": "Unsupported media type for this endpoint",
}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            # Malformed input (NUL bytes, invalid UTF-8, bad filters) is a 400 anywhere.
            codes = ["400", "401", "403"]
            params = {p.get("name") for p in operation.get("parameters", [])}
            if "{" in path or "page" in params:  # an object, or a page past the end
                codes.append("404")
            if method in {"put", "patch"} or (method == "post" and "{" in path):
                codes.append("409")
            if method in {"post", "put", "patch"}:
                codes.append("415")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": _DESCRIPTIONS[code], "content": ref})
    return result

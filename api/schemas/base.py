from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from api.schemas.rules import NO_NUL_PATTERN, NUL_MESSAGE, has_nul


def _document_no_nul(schema: dict[str, Any]) -> None:
    """The OpenAPI document says what the validator does: every free-form string excludes NUL."""
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("type") == "string" and "pattern" not in node and "format" not in node and "enum" not in node:
                node["pattern"] = NO_NUL_PATTERN
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


class Request(BaseModel):
    """Every request body: unknown keys refused, strings stripped, no NUL anywhere (see api/schemas/rules.py)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_document_no_nul)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)

"""Profile fields: the catalog (`catalog`) and the parser of spoken English answers (`spoken`)."""

from dialer.fields.catalog import (
    CATALOG,
    MAX_TEXT_LENGTH,
    AnswerStatus,
    FieldSpec,
    FieldType,
    FieldValueError,
    label_for,
    missing_fields,
    spec_for,
)
from dialer.fields.spoken import normalize

__all__ = [
    "CATALOG",
    "MAX_TEXT_LENGTH",
    "AnswerStatus",
    "FieldSpec",
    "FieldType",
    "FieldValueError",
    "label_for",
    "missing_fields",
    "normalize",
    "spec_for",
]

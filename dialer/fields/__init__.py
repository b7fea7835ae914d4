"""Profile fields: the catalog (`catalog`) and the parser of spoken English answers (`answers`); the other way,
canonical values to the words a person says, is `dialer.spoken`."""

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
from dialer.fields.answers import normalize

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

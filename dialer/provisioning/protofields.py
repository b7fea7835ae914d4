"""Field-by-field access to protobuf messages: compare one field, copy one field, whatever its shape.

Provisioning compares only the fields it manages (LiveKit adds ids and timestamps of its own), so it needs
one notion of "this field's value" for scalars, repeated fields, maps and sub-messages alike.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message


def _descriptor(message: Message, name: str) -> Any:  # pure-Python or upb FieldDescriptor, same interface
    return message.DESCRIPTOR.fields_by_name[name]


def is_map(field: Any) -> bool:
    """A map field is a repeated message field whose entry type is flagged `map_entry`."""
    return field.message_type is not None and bool(field.message_type.GetOptions().map_entry)


def field_value(message: Message, name: str) -> object:
    """A plain, comparable value: dict for maps, list for repeated, None for an unset sub-message."""
    field = _descriptor(message, name)
    value = getattr(message, name)
    if is_map(field):
        return dict(value)
    if field.is_repeated:
        return list(value)
    if field.message_type is not None:
        return value if message.HasField(name) else None
    return value


def copy_field(target: Message, source: Message, name: str) -> None:
    """Make `target.name` equal `source.name` (both of the same message type)."""
    field = _descriptor(source, name)
    if is_map(field):
        mapping = getattr(target, name)
        mapping.clear()
        mapping.update(getattr(source, name))
    elif field.is_repeated:
        items = getattr(target, name)
        del items[:]
        items.extend(getattr(source, name))
    elif field.message_type is not None:
        if source.HasField(name):
            getattr(target, name).CopyFrom(getattr(source, name))
        else:
            target.ClearField(name)
    else:
        setattr(target, name, getattr(source, name))


def differing_fields(existing: Message, desired: Message, names: tuple[str, ...]) -> tuple[str, ...]:
    """The managed fields whose values differ, in the order given."""
    return tuple(name for name in names if field_value(existing, name) != field_value(desired, name))

"""Immutable configuration objects, as the built-in codecs are: equal, hashed and shown by value.

What ``@dataclass(frozen=True)`` gives, without importing ``dataclasses``
(and ``inspect`` with it: about 20 ms of ``import framing``)::

    >>> class Point(Frozen):
    ...     _fields = ("x", "y")
    ...     def __init__(self, x: int, y: int) -> None:
    ...         self._set(x=x, y=y)
    >>> Point(1, 2) == Point(1, 2), Point(1, 2)
    (True, Point(x=1, y=2))
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["Frozen"]


class Frozen:
    """Fields named in ``_fields`` make the object's equality, hash and repr; none can change."""

    _fields: ClassVar[tuple[str, ...]] = ()

    def _set(self, **values: Any) -> None:
        """Set attributes once, in ``__init__``."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Frozen)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({values})"

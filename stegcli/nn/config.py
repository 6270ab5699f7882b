"""Architecture configs: frozen dataclasses stored verbatim in weight metadata."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, TypeVar

ConfigT = TypeVar("ConfigT", bound="ArchConfig")


class ArchConfig:
    """Mixin for the architecture dataclasses: JSON-ready dict out, strict rebuild in."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[ConfigT], data: dict[str, Any]) -> ConfigT:
        """Rebuild from weight metadata, refusing keys this version does not know."""
        unknown = set(data) - set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        if unknown:
            raise ValueError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
        return cls(**data)

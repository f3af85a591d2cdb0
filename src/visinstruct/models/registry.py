"""The backend registry: every backend, ours included, registers the same way.

Third-party packages add backends through the ``visinstruct.backends`` entry-point group; each
entry point names a :class:`~visinstruct.models.base.ModelBackend` subclass.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from visinstruct.config import ModelSpec, Role
from visinstruct.errors import ConfigError
from visinstruct.models.base import ModelBackend

__all__ = ["available_backends", "create_backend", "output_family", "register_backend"]

_BUILTIN = {
    "openai": "visinstruct.models.openai:OpenAIBackend",
    "openai-batch": "visinstruct.models.openai_batch:OpenAIBatchBackend",
    "template": "visinstruct.models.template:TemplateBackend",
    "annotations": "visinstruct.models.annotations:AnnotationsBackend",
}
_registry: dict[str, type[ModelBackend]] = {}


def register_backend(cls: type[ModelBackend]) -> type[ModelBackend]:
    """Register ``cls`` under ``cls.name`` (usable as a class decorator)."""
    _registry[cls.name] = cls
    return cls


def _load(target: str) -> type[ModelBackend]:
    module, _, attr = target.partition(":")
    cls: type[ModelBackend] = getattr(import_module(module), attr)
    return cls


def _lookup(name: str) -> type[ModelBackend] | None:
    if name in _registry:
        return _registry[name]
    if name in _BUILTIN:
        return register_backend(_load(_BUILTIN[name]))
    for ep in entry_points(group="visinstruct.backends"):
        if ep.name == name:
            cls: type[ModelBackend] = ep.load()
            return register_backend(cls)
    return None


def available_backends() -> list[str]:
    names = set(_registry) | set(_BUILTIN)
    names |= {ep.name for ep in entry_points(group="visinstruct.backends")}
    return sorted(names)


def create_backend(spec: ModelSpec, role: Role, **options: Any) -> ModelBackend:
    """Build the backend ``spec.backend`` names for ``role``."""
    cls = _lookup(spec.backend)
    if cls is None:
        raise ConfigError(
            f"unknown backend {spec.backend!r}; available: {', '.join(available_backends())}",
            field=f"models.{role}.backend",
        )
    return cls(spec, role, **options)


def output_family(name: str) -> str:
    """The backend name that stands for ``name``'s output in stage identities: itself, or
    the backend it is only another transport for (see ``ModelBackend.output_of``)."""
    cls = _lookup(name)
    return name if cls is None or cls.output_of is None else cls.output_of

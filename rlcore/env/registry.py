"""The env registry: names mapped to env creators, and turning any env spec into a creator.

``register_env(name, creator)`` makes ``name`` usable wherever an env is expected (``config["env"]``).
``make_env_creator(spec)`` turns every accepted spec into one callable ``creator(env_context)``:

- a name registered here, or with ``ray.tune.registry.register_env`` (looked up in Ray's global
  registry only if ``ray.tune.registry`` is already imported: this module never imports Ray);
- a gymnasium id: ``gymnasium.make(id, **env_config)``;
- a ``"package.module.ClassName"`` string (neither of the above): the class is imported and
  called as RLlib 1.x's Trainer did through ``from_config``, ``ClassName(**env_config)``;
- an env class: ``cls(env_config)``;
- any other callable: ``fn(env_config)``.

Creators built here carry ``env_name`` (for error messages) and, for gymnasium ids, ``gym_id``
and ``gym_kwargs``, so that ``make_base_env`` can pick gymnasium's native vectorized version.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from typing import Any, Callable

from rlcore.env.env_context import EnvContext

EnvCreator = Callable[[EnvContext], Any]

_REGISTRY: dict[str, EnvCreator] = {}


def register_env(name: str, creator: EnvCreator) -> None:
    """Registers ``creator`` under ``name``; a later registration of the same name replaces it.

    Args:
        name: The env name, used as ``config["env"]``.
        creator: ``creator(env_context: EnvContext) -> env``.

    Examples:
        >>> register_env("my_cartpole", lambda ctx: __import__("gymnasium").make("CartPole-v1"))
        >>> get_env_creator("my_cartpole") is not None
        True
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_env name={name!r}: expected a non-empty str")
    if not callable(creator):
        raise TypeError(
            f"register_env({name!r}, creator={creator!r}): creator must be callable "
            f"(env_context) -> env, got {type(creator).__name__}"
        )
    _REGISTRY[name] = creator


def registered_env_names() -> list[str]:
    """Names registered with :func:`register_env` in this process, sorted.

    Examples:
        >>> register_env("names_demo", lambda ctx: None)
        >>> "names_demo" in registered_env_names()
        True
    """
    return sorted(_REGISTRY)


def _ray_registered_creator(name: str) -> EnvCreator | None:
    tune_registry = sys.modules.get("ray.tune.registry")
    if tune_registry is None:
        return None
    registry = getattr(tune_registry, "_global_registry", None)
    category = getattr(tune_registry, "ENV_CREATOR", "env_creator")
    if registry is None or not registry.contains(category, name):
        return None
    return registry.get(category, name)


def get_env_creator(name: str) -> EnvCreator | None:
    """Returns the creator registered under ``name`` here or in Ray Tune's registry, else None.

    Ray's registry is consulted only when ``ray.tune.registry`` is already imported (a user who
    called ``ray.tune.registry.register_env`` has imported it); Ray is never imported here.

    Args:
        name: The registered name.

    Returns:
        The creator, or None when the name is not registered.

    Examples:
        >>> get_env_creator("surely-not-registered") is None
        True
    """
    creator = _REGISTRY.get(name)
    if creator is not None:
        return creator
    return _ray_registered_creator(name)


def _gym_ids() -> list[str]:
    import gymnasium

    return list(gymnasium.registry.keys())


def _gym_id_problem(name: str) -> str | None:
    """None if ``name`` is a gymnasium id, else gymnasium's reason (empty if it has none)."""
    import gymnasium

    if name in gymnasium.registry or ":" in name:  # "module:Env-v0" imports its module on make
        return None
    try:
        gymnasium.spec(name)
    except gymnasium.error.DeprecatedEnv as err:  # e.g. Taxi-v3: gymnasium names the new version
        return str(err)
    except gymnasium.error.Error:  # NameNotFound, VersionNotFound, NamespaceNotFound, ...
        return ""
    return None


class _NamedCreator:
    """A creator that remembers what it was made from (for errors and the vectorized path)."""

    def __init__(self, fn: EnvCreator, env_name: str, gym_id: str | None = None) -> None:
        self._fn = fn
        self.env_name = env_name
        self.gym_id = gym_id

    def __call__(self, env_context: EnvContext) -> Any:
        return self._fn(env_context)

    def __repr__(self) -> str:
        return f"env_creator[{self.env_name}]"


class _GymMake:
    """``gymnasium.make(id, **env_config)`` as a picklable callable."""

    def __init__(self, gym_id: str) -> None:
        self.gym_id = gym_id

    def __call__(self, env_context: EnvContext) -> Any:
        import gymnasium

        return gymnasium.make(self.gym_id, **dict(env_context))


class _ImportedClass:
    """``ClassName(**env_config)`` for a ``"package.module.ClassName"`` spec, imported when called."""

    def __init__(self, path: str) -> None:
        self.path = path

    def resolve(self) -> Callable[..., Any]:
        """Imports the module and returns the named attribute (ImportError/AttributeError if absent)."""
        module_name, _, attr = self.path.rpartition(".")
        return getattr(importlib.import_module(module_name), attr)

    def __call__(self, env_context: EnvContext) -> Any:
        return self.resolve()(**dict(env_context))


class _CallWithConfig:
    """``cls(env_config)`` / ``fn(env_config)`` as a picklable callable."""

    def __init__(self, target: Callable[[EnvContext], Any]) -> None:
        self.target = target

    def __call__(self, env_context: EnvContext) -> Any:
        return self.target(env_context)


def _unknown_name_error(name: str, gym_reason: str, import_error: BaseException | None = None) -> ValueError:
    candidates = registered_env_names() + _gym_ids()
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.5)
    hint = f" Close matches: {', '.join(close)}." if close else ""
    reason = f" gymnasium says: {gym_reason}" if gym_reason else ""
    if import_error is None:
        return ValueError(
            f"env {name!r} is neither a name registered with register_env nor a gymnasium id."
            f"{hint}{reason}"
        )
    return ValueError(
        f"env {name!r} is neither a name registered with register_env, a gymnasium id, nor an "
        f"importable 'package.module.ClassName' ({type(import_error).__name__}: {import_error}).{hint}{reason}"
    )


def _imported_class(path: str, gym_reason: str) -> _ImportedClass:
    target = _ImportedClass(path)
    try:
        env_class = target.resolve()
    except (ImportError, AttributeError) as err:
        raise _unknown_name_error(path, gym_reason, err) from None
    if not callable(env_class):
        raise TypeError(f"env {path!r} names {env_class!r}, which is not a class or callable")
    return target


def env_spec_name(env_spec: Any) -> str:
    """The name of an env spec for messages, without resolving it (a str is its own name).

    Raises:
        TypeError: For anything that is not a str or a callable.

    Examples:
        >>> env_spec_name("CartPole-v1"), env_spec_name(EnvContext)
        ('CartPole-v1', 'EnvContext')
    """
    if isinstance(env_spec, str):
        return env_spec
    if isinstance(env_spec, _NamedCreator):
        return env_spec.env_name
    if isinstance(env_spec, type):
        return env_spec.__qualname__
    if callable(env_spec):
        return getattr(env_spec, "env_name", None) or getattr(env_spec, "__qualname__", type(env_spec).__qualname__)
    raise TypeError(
        f"env={env_spec!r}: expected a registered name, a gymnasium id, a 'package.module.ClassName', "
        f"an env class or a callable(env_config), got {type(env_spec).__name__}"
    )


def make_env_creator(env_spec: Any) -> EnvCreator:
    """Turns an env spec into ``creator(env_context) -> env``.

    Args:
        env_spec: A registered name, a gymnasium id, a ``"package.module.ClassName"``, an env
            class or a callable(env_config).

    Returns:
        A callable creator with an ``env_name`` attribute; for gymnasium ids also ``gym_id``.

    Raises:
        ValueError: For an unknown name (listing up to 5 close matches), or a dotted name whose
            module or class does not import (naming the import error).
        TypeError: For anything else that is not a str or a callable.

    Examples:
        >>> creator = make_env_creator("CartPole-v1")
        >>> creator.gym_id, creator(EnvContext()).spec.id
        ('CartPole-v1', 'CartPole-v1')
        >>> make_env_creator("CartPole-v9")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: env 'CartPole-v9' is neither ... gymnasium id. Close matches: CartPole-v1, CartPole-v0, ...
    """
    if isinstance(env_spec, _NamedCreator):
        return env_spec
    if isinstance(env_spec, str):
        registered = get_env_creator(env_spec)
        if registered is not None:
            return _NamedCreator(registered, env_spec)
        problem = _gym_id_problem(env_spec)
        if problem is None:
            return _NamedCreator(_GymMake(env_spec), env_spec, gym_id=env_spec)
        if "." in env_spec.strip("."):
            return _NamedCreator(_imported_class(env_spec, problem), env_spec)
        raise _unknown_name_error(env_spec, problem)
    return _NamedCreator(_CallWithConfig(env_spec), env_spec_name(env_spec))

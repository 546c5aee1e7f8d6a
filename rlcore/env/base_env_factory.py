"""make_base_env: turn an env creator into the BaseEnv a rollout worker samples from.

The choice, in order:

1. ``remote_envs=True``: each sub-env in its own Ray actor (``RemoteBaseEnv``).
2. A gymnasium id with ``vectorize_mode`` ``"async"`` or ``"vector_entry_point"`` (the
   ``gym_env_vectorize_mode`` config key, chosen explicitly):
   ``gymnasium.make_vec(id, num_envs, vectorization_mode=...)`` behind ``GymVectorBaseEnv``.
   ``"vector_entry_point"`` is gymnasium's own vectorized implementation where the env has one
   (CartPole: several times faster at many envs; one random generator for all sub-envs, so
   seeding differs from ``"sync"``); an env without one is an error naming the id.
3. (``vectorize_mode="sync"``, the default) whatever the creator returns for ``vector_index=0``:
   a gymnasium ``VectorEnv`` or a ``VectorEnv`` is wrapped directly (its own ``num_envs`` wins);
   a ``BaseEnv`` is used as is; a single env is created ``num_envs`` times (each with
   ``env_context.copy_with_overrides(vector_index=i)``) and stepped by ``SubEnvLoop``.

Multi-agent envs are not wrapped here: the multi-agent sampler steps ``MultiAgentEnv`` copies
itself (see ``rlcore.env.multi_agent_env.as_gymnasium_multi_agent``).
"""

from __future__ import annotations

from typing import Any

from rlcore.env.base_env import BaseEnv, EnvError, env_name_of
from rlcore.env.env_context import EnvContext
from rlcore.env.gym_vector_base_env import GymVectorBaseEnv
from rlcore.env.multi_agent_env import MultiAgentEnv
from rlcore.env.registry import make_env_creator
from rlcore.env.sub_env_loop import SubEnvLoop
from rlcore.env.vector_env import _VectorizedGymEnv
from rlcore.env.vector_env_adapter import VectorEnvAdapter


#: ``gym_env_vectorize_mode`` values (gymnasium's ``VectorizeMode`` names).
VECTORIZE_MODES = ("sync", "async", "vector_entry_point")


def check_vectorize_mode(mode: Any) -> str:
    """A ``gym_env_vectorize_mode`` as one of :data:`VECTORIZE_MODES` (gymnasium's enum accepted).

    Examples:
        >>> check_vectorize_mode("SYNC"), check_vectorize_mode("vector_entry_point")
        ('sync', 'vector_entry_point')
        >>> check_vectorize_mode("fast")
        Traceback (most recent call last):
        ...
        ValueError: gym_env_vectorize_mode='fast': expected one of ('sync', 'async', 'vector_entry_point')
    """
    name = getattr(mode, "value", mode)
    if isinstance(name, str) and name.lower() in VECTORIZE_MODES:
        return name.lower()
    raise ValueError(f"gym_env_vectorize_mode={mode!r}: expected one of {VECTORIZE_MODES}")


def _gym_vector_env(gym_id: str, num_envs: int, env_context: EnvContext, mode: str, env_name: str) -> Any:
    """``gymnasium.make_vec(gym_id, ...)`` in ``mode``; any failure is an error naming the env."""
    import gymnasium

    try:
        spec = gymnasium.spec(gym_id)
    except Exception as err:
        raise EnvError(env_name, None, "create", env_context.worker_index, err) from err
    if mode == "vector_entry_point" and spec.vector_entry_point is None:
        raise ValueError(
            f"gym_env_vectorize_mode='vector_entry_point': env {gym_id} has no vectorized implementation "
            f"in gymnasium (its spec has no vector_entry_point); use 'sync' or 'async'"
        )
    try:
        return gymnasium.make_vec(gym_id, num_envs, vectorization_mode=mode, **dict(env_context))
    except Exception as err:
        raise EnvError(env_name, None, "create", env_context.worker_index, err) from err


def make_base_env(
    env_creator: Any,
    env_context: EnvContext | dict | None = None,
    num_envs: int = 1,
    *,
    seed: int | None = None,
    remote_envs: bool = False,
    vectorize_mode: str = "sync",
) -> BaseEnv:
    """Builds the BaseEnv of ``num_envs`` sub-envs for one rollout worker.

    Args:
        env_creator: A creator ``fn(env_context) -> env``, or any spec ``make_env_creator``
            accepts (registered name, gymnasium id, env class).
        env_context: The worker's ``EnvContext`` (a plain dict is taken as ``env_config``).
        num_envs: Number of sub-envs (``num_envs_per_worker``).
        seed: Seed of the first reset (loop path: sub-env i gets ``seed + i``).
        remote_envs: Put each sub-env in its own Ray actor.
        vectorize_mode: ``"sync"`` (default), ``"async"`` or ``"vector_entry_point"`` for
            gymnasium ids (see the module docstring); other envs take ``"sync"`` only.

    Returns:
        A :class:`BaseEnv`.

    Raises:
        EnvError: When creating a sub-env fails (naming the env and vector index).
        ValueError: A ``vectorize_mode`` the env cannot have.

    Examples:
        >>> env = make_base_env("CartPole-v1", num_envs=4, seed=0)
        >>> type(env).__name__, env.num_envs
        ('SubEnvLoop', 4)
        >>> type(make_base_env("CartPole-v1", num_envs=4, vectorize_mode="vector_entry_point")).__name__
        'GymVectorBaseEnv'
    """
    if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
        raise ValueError(f"make_base_env num_envs={num_envs!r}: expected an int >= 1")
    if env_context is None:
        env_context = EnvContext()
    elif not isinstance(env_context, EnvContext):
        env_context = EnvContext(env_context)
    creator = make_env_creator(env_creator)
    env_name = creator.env_name
    worker_index = env_context.worker_index
    vectorize_mode = check_vectorize_mode(vectorize_mode)
    gym_id = getattr(creator, "gym_id", None)
    if vectorize_mode != "sync" and (gym_id is None or remote_envs):
        raise ValueError(
            f"gym_env_vectorize_mode={vectorize_mode!r} needs a gymnasium env id (got env {env_name}"
            f"{' with remote_worker_envs' if remote_envs else ''}); use 'sync'"
        )
    if remote_envs:
        from rlcore.env.remote_base_env import RemoteBaseEnv

        return RemoteBaseEnv(creator, env_context, num_envs, seed=seed)
    if vectorize_mode != "sync":
        vec = _gym_vector_env(gym_id, num_envs, env_context, vectorize_mode, env_name)
        return GymVectorBaseEnv(vec, env_name=env_name, worker_index=worker_index, seed=seed)

    first = _create(creator, env_context, 0, env_name)
    if "<lambda>" in env_name or "<locals>" in env_name:  # an anonymous creator: name its product
        env_name = env_name_of(first)
    if isinstance(first, MultiAgentEnv):
        raise TypeError(
            f"env {env_name} is a MultiAgentEnv: the multi-agent sampler steps it; make_base_env "
            f"takes single-agent and vector envs"
        )
    if isinstance(first, BaseEnv):
        return first
    import gymnasium

    if isinstance(first, gymnasium.vector.VectorEnv):
        return GymVectorBaseEnv(first, env_name=env_name, worker_index=worker_index, seed=seed)
    if isinstance(first, _VectorizedGymEnv):
        return SubEnvLoop(first.envs, env_name=env_name, worker_index=worker_index, seed=seed)
    if hasattr(first, "vector_step") and hasattr(first, "reset_at"):
        return VectorEnvAdapter(first, env_name=env_name, worker_index=worker_index, seed=seed)
    envs = [first] + [_create(creator, env_context, i, env_name) for i in range(1, num_envs)]
    return SubEnvLoop(envs, env_name=env_name, worker_index=worker_index, seed=seed)


def _create(creator: Any, env_context: EnvContext, vector_index: int, env_name: str) -> Any:
    try:
        return creator(env_context.copy_with_overrides(vector_index=vector_index))
    except Exception as err:
        raise EnvError(env_name, vector_index, "create", env_context.worker_index, err) from err

"""make_base_env: turn an env creator into the BaseEnv a rollout worker samples from.

The choice, in order:

1. ``remote_envs=True``: each sub-env in its own Ray actor (``RemoteBaseEnv``).
2. A gymnasium id with a native vectorized version (``vector_entry_point``, e.g. CartPole):
   ``gymnasium.make_vec(id, num_envs, vectorization_mode="vector_entry_point")`` behind
   ``GymVectorBaseEnv``, which turns its ``NEXT_STEP`` auto-reset into same-step auto-reset.
3. Whatever the creator returns for ``vector_index=0``:
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
from rlcore.env.gym_vector_base_env import GymVectorBaseEnv, supports_same_step
from rlcore.env.multi_agent_env import MultiAgentEnv
from rlcore.env.registry import make_env_creator
from rlcore.env.sub_env_loop import SubEnvLoop
from rlcore.env.vector_env import _VectorizedGymEnv
from rlcore.env.vector_env_adapter import VectorEnvAdapter


def _native_vector_env(gym_id: str, num_envs: int, env_context: EnvContext, horizon: int | None) -> Any:
    """gymnasium's vectorized version of ``gym_id`` if it exists and can auto-reset same-step."""
    import gymnasium

    try:
        spec = gymnasium.spec(gym_id)
    except Exception:  # ids like "module:Env-v0" resolve only in make: no vector version known
        return None
    if spec.vector_entry_point is None:
        return None
    try:
        vec = gymnasium.make_vec(gym_id, num_envs, vectorization_mode="vector_entry_point", **dict(env_context))
    except Exception:  # e.g. a jax-only vector env, or env_config keys it does not take
        return None
    if supports_same_step(vec, horizon):
        return vec
    vec.close()
    return None


def make_base_env(
    env_creator: Any,
    env_context: EnvContext | dict | None = None,
    num_envs: int = 1,
    *,
    seed: int | None = None,
    horizon: int | None = None,
    remote_envs: bool = False,
) -> BaseEnv:
    """Builds the BaseEnv of ``num_envs`` sub-envs for one rollout worker.

    Args:
        env_creator: A creator ``fn(env_context) -> env``, or any spec ``make_env_creator``
            accepts (registered name, gymnasium id, env class).
        env_context: The worker's ``EnvContext`` (a plain dict is taken as ``env_config``).
        num_envs: Number of sub-envs (``num_envs_per_worker``).
        seed: Seed of the first reset (loop path: sub-env i gets ``seed + i``).
        horizon: Truncate episodes after this many steps (``truncated=True``, auto-reset).
        remote_envs: Put each sub-env in its own Ray actor.

    Returns:
        A :class:`BaseEnv`.

    Raises:
        EnvError: When creating a sub-env fails (naming the env and vector index).

    Examples:
        >>> env = make_base_env("CartPole-v1", num_envs=4, seed=0)
        >>> type(env).__name__, env.num_envs
        ('GymVectorBaseEnv', 4)
        >>> type(make_base_env("Pendulum-v1", num_envs=2)).__name__
        'SubEnvLoop'
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
    if remote_envs:
        from rlcore.env.remote_base_env import RemoteBaseEnv

        return RemoteBaseEnv(creator, env_context, num_envs, seed=seed, horizon=horizon)

    gym_id = getattr(creator, "gym_id", None)
    if gym_id is not None:
        vec = _native_vector_env(gym_id, num_envs, env_context, horizon)
        if vec is not None:
            return GymVectorBaseEnv(vec, env_name=env_name, worker_index=worker_index, seed=seed, horizon=horizon)

    first = _create(creator, env_context, 0, env_name)
    if "<lambda>" in env_name or "<locals>" in env_name:  # an anonymous creator: name its product
        env_name = env_name_of(first)
    if isinstance(first, MultiAgentEnv):
        raise TypeError(
            f"env {env_name} is a MultiAgentEnv: the multi-agent sampler steps it; make_base_env "
            f"takes single-agent and vector envs"
        )
    if isinstance(first, BaseEnv):
        first.check_horizon(horizon)
        return first
    import gymnasium

    if isinstance(first, gymnasium.vector.VectorEnv):
        return GymVectorBaseEnv(first, env_name=env_name, worker_index=worker_index, seed=seed, horizon=horizon)
    if isinstance(first, _VectorizedGymEnv):
        return SubEnvLoop(first.envs, env_name=env_name, worker_index=worker_index, seed=seed, horizon=horizon)
    if hasattr(first, "vector_step") and hasattr(first, "reset_at"):
        return VectorEnvAdapter(first, env_name=env_name, worker_index=worker_index, seed=seed, horizon=horizon)
    envs = [first] + [_create(creator, env_context, i, env_name) for i in range(1, num_envs)]
    return SubEnvLoop(envs, env_name=env_name, worker_index=worker_index, seed=seed, horizon=horizon)


def _create(creator: Any, env_context: EnvContext, vector_index: int, env_name: str) -> Any:
    try:
        return creator(env_context.copy_with_overrides(vector_index=vector_index))
    except Exception as err:
        raise EnvError(env_name, vector_index, "create", env_context.worker_index, err) from err

"""RLlib 1.x import path ``ray.rllib.utils.test_utils``: ``check``, ``framework_iterator``,
``check_learning_achieved``, ``check_compute_single_action``.

These are the helpers RLlib 1.x's own tests and example scripts use, with 1.x's behaviour:

- ``check(x, y, decimals=5, atol=None, rtol=None, false=False)`` compares nested structures
  (dicts, lists/tuples, bools, ``None``/str/int, object arrays, numbers, numpy arrays, torch and
  TF tensors) with assertions, or asserts that they differ (``false=True``).
- ``framework_iterator(config, frameworks, session)`` sets ``config["framework"]`` to each
  framework in turn and yields it. rlcore has two backends, so 1.x's names are mapped as rlcore
  maps them (``"tf"`` and ``"tfe"`` run TensorFlow 2: :func:`rlcore.framework.normalize_framework`)
  and each backend is yielded once: the 1.x default ``("tf2", "tf", "tfe", "torch")`` yields
  ``"tf2"`` then ``"torch"``. There are no TF1 sessions: ``session=True`` yields
  ``(framework, None)``. A framework that is not installed is skipped with a warning.
- ``check_learning_achieved(tune_results, min_reward)`` raises ``ValueError`` when the first
  trial's last ``episode_reward_mean`` is below ``min_reward``.
- ``check_compute_single_action(trainer, include_state, include_prev_action_reward)`` calls the
  policy's ``compute_single_action`` and the trainer's ``compute_action`` with explore on and off
  (and ``full_fetch`` on and off for the trainer) and raises ``ValueError`` for an action
  outside the action space; RNN state outputs must keep the input states' shapes.

Importing this module imports neither torch nor TensorFlow; tensors are recognised when their
framework is already loaded.

Examples:
    >>> check({"a": [1.0, (2, "x")]}, {"a": [1.0000001, (2, "x")]})
    >>> check(1.0, 1.1, false=True)
    >>> check([1.0], [1.5])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: ...
    >>> config = {}
    >>> [fw for fw in framework_iterator(config, frameworks=("tf", "tfe", "torch"))]  # doctest: +SKIP
    ['tf2', 'torch']
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple, Union

import numpy as np

from rlcore.framework import normalize_framework

__all__ = ["check", "check_compute_single_action", "check_learning_achieved", "framework_iterator"]

logger = logging.getLogger(__name__)

#: RLlib 1.x's default frameworks for ``framework_iterator``.
DEFAULT_FRAMEWORKS = ("tf2", "tf", "tfe", "torch")


def _installed(fw: str) -> bool:
    import importlib.util

    return importlib.util.find_spec("torch" if fw == "torch" else "tensorflow") is not None


def framework_iterator(config: Optional[Dict[str, Any]] = None,
                       frameworks: Union[str, Sequence[str]] = DEFAULT_FRAMEWORKS,
                       session: bool = False) -> Iterator[Union[str, Tuple[str, None]]]:
    """Yields each framework of ``frameworks`` once per rlcore backend, setting ``config["framework"]``.

    Args:
        config: A config dict changed in place (``"framework"``) at each step (``None``: a new dict).
        frameworks: A name or names among ``"tf2"``, ``"tf"``, ``"tfe"``, ``"torch"``; ``"tf"`` and
            ``"tfe"`` map to ``"tf2"`` (TensorFlow 2), as everywhere in rlcore.
        session: RLlib 1.x's TF1 session flag: when True, ``(framework, None)`` tuples are yielded
            (there are no TF1 sessions).

    Yields:
        ``"tf2"`` and/or ``"torch"``, or ``(name, None)`` tuples when ``session`` is True.

    Raises:
        ValueError: for an unknown framework name (naming it and the accepted names).

    Examples:
        >>> config = {"lr": 0.1}
        >>> for fw in framework_iterator(config, frameworks="torch"):  # doctest: +SKIP
        ...     assert config["framework"] == fw == "torch"
    """
    config = {} if config is None else config
    names = [frameworks] if isinstance(frameworks, str) else list(frameworks)
    seen = []
    for name in names:
        fw = normalize_framework(name)
        if fw in seen:
            continue
        seen.append(fw)
        if not _installed(fw):
            logger.warning("framework_iterator skipping %s (%s is not installed)", fw,
                           "torch" if fw == "torch" else "tensorflow")
            continue
        config["framework"] = fw
        yield (fw, None) if session else fw


def _tensor_to_numpy(x: Any, name: str) -> Any:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(x, (tf.Tensor, tf.Variable)):
        if name == "y":
            raise ValueError("`y` (expected value) must not be a Tensor. Use numpy.ndarray instead")
        return x.numpy()
    return x


def check(x: Any, y: Any, decimals: int = 5, atol: Optional[float] = None, rtol: Optional[float] = None,
          false: bool = False) -> None:
    """Asserts that ``x`` and ``y`` (nested structures) are equal, numbers up to ``decimals`` digits.

    Args:
        x: The value checked (may hold torch or TF tensors).
        y: The expected value (numpy, Python values or torch tensors; not a TF tensor).
        decimals: Digits after the point that must match (when neither ``atol`` nor ``rtol``).
        atol: Absolute tolerance (``np.testing.assert_allclose``); overrides ``decimals``.
        rtol: Relative tolerance (default 1e-7 when only ``atol`` is given).
        false: Assert instead that the values are NOT equal.

    Raises:
        AssertionError: the check fails.
        ValueError: ``y`` is a TF tensor.

    Examples:
        >>> check(np.array([0.1, 0.2]), [0.1, 0.2000001])
        >>> check({"a": 1}, {"a": 1, "b": 2})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: ERROR: y contains keys (['b']) that are not in x! y={'a': 1, 'b': 2}...
    """
    kw = dict(decimals=decimals, atol=atol, rtol=rtol, false=false)
    if isinstance(x, dict):
        assert isinstance(y, dict), "ERROR: If x is dict, y needs to be a dict as well!"
        y_keys = set(y.keys())
        for key, value in x.items():
            assert key in y, f"ERROR: y does not have x's key='{key}'! y={y}"
            check(value, y[key], **kw)
            y_keys.discard(key)
        assert not y_keys, f"ERROR: y contains keys ({sorted(y_keys, key=str)}) that are not in x! y={y}"
        return
    if isinstance(x, (tuple, list)):
        assert isinstance(y, (tuple, list)), "ERROR: If x is tuple/list, y needs to be a tuple/list as well!"
        assert len(y) == len(x), f"ERROR: y does not have the same length as x ({len(y)} vs {len(x)})!"
        for xi, yi in zip(x, y):
            check(xi, yi, **kw)
        return
    if isinstance(x, (np.bool_, bool)):
        if false:
            assert bool(x) is not bool(y), f"ERROR: x ({x}) is y ({y})!"
        else:
            assert bool(x) is bool(y), f"ERROR: x ({x}) is not y ({y})!"
        return
    if x is None or y is None or isinstance(x, (str, int)):
        if false:
            assert x != y, f"ERROR: x ({x}) is the same as y ({y})!"
        else:
            assert x == y, f"ERROR: x ({x}) is not the same as y ({y})!"
        return
    if getattr(x, "dtype", None) == object:
        try:
            np.testing.assert_array_equal(x, y)
        except AssertionError:
            if not false:
                raise
        else:
            assert not false, f"ERROR: x ({x}) is the same as y ({y})!"
        return
    y = _tensor_to_numpy(y, "y")
    x = _tensor_to_numpy(x, "x")
    try:
        if atol is None and rtol is None:
            np.testing.assert_almost_equal(x, y, decimal=decimals)
        else:
            np.testing.assert_allclose(x, y, atol=0.0 if atol is None else atol, rtol=1e-7 if rtol is None else rtol)
    except AssertionError:
        if not false:
            raise
    else:
        assert not false, f"ERROR: x ({x}) is the same as y ({y})!"


def check_learning_achieved(tune_results: Any, min_reward: float) -> None:
    """Raises ``ValueError`` unless the first trial's last ``episode_reward_mean`` reaches ``min_reward``.

    Args:
        tune_results: What ``tune.run`` returned (its ``trials[0].last_result`` is read).
        min_reward: The mean episode reward the run had to reach.

    Examples:
        >>> class Trial: last_result = {"episode_reward_mean": 150.0}
        >>> class Results: trials = [Trial()]
        >>> check_learning_achieved(Results(), 100.0)
        ok
        >>> check_learning_achieved(Results(), 195.0)
        Traceback (most recent call last):
        ...
        ValueError: `stop-reward` of 195.0 not reached (the last episode_reward_mean was 150.0)!
    """
    last = tune_results.trials[0].last_result
    reward = last.get("episode_reward_mean")
    if reward is None or reward < min_reward:
        raise ValueError(f"`stop-reward` of {min_reward} not reached (the last episode_reward_mean was {reward})!")
    print("ok")


def _initial_state(model: Any) -> list:
    state = list(model.get_initial_state() or [])
    if state:
        return state
    i, reqs = 0, getattr(model, "view_requirements", {}) or {}
    while f"state_in_{i}" in reqs and getattr(reqs[f"state_in_{i}"], "space", None) is not None:
        state.append(reqs[f"state_in_{i}"].space.sample())
        i += 1
    return state


def check_compute_single_action(trainer: Any, include_state: bool = False,
                                include_prev_action_reward: bool = False) -> None:
    """Calls ``policy.compute_single_action`` and ``trainer.compute_action`` in every mode and checks the actions.

    For the policy (observations of its preprocessed space) and for the trainer (observations of
    the env's raw space): explore True and False, and for the trainer ``full_fetch`` False and
    True; with the model's initial RNN state when ``include_state``, and a sampled previous
    action and reward 1.0 when ``include_prev_action_reward``. Box observations are clipped to
    ``[-1, 1]`` (RLlib 1.x).

    Args:
        trainer: A built trainer (``get_policy()``, ``compute_action``).
        include_state: Pass the initial state and check the returned state's shapes.
        include_prev_action_reward: Pass ``prev_action`` and ``prev_reward``.

    Raises:
        ValueError: an action outside the action space, naming it, the caller and the space.
        AssertionError: a returned state's shape differs from the state passed in.
    """
    import gymnasium as gym

    policy = trainer.get_policy()
    action_space = policy.action_space
    worker = trainer.workers.local_worker()
    raw_obs_space = worker.preprocessors["default_policy"].observation_space
    raw_obs_space = getattr(raw_obs_space, "original_space", raw_obs_space)
    for what in (policy, trainer):
        obs_space = raw_obs_space if what is trainer else policy.observation_space
        for explore in (True, False):
            for full_fetch in ((False, True) if what is trainer else (False,)):
                obs = obs_space.sample()
                if isinstance(obs_space, gym.spaces.Box):
                    obs = np.clip(obs, -1.0, 1.0)
                state_in = _initial_state(policy.model) if include_state else None
                prev_action = action_space.sample() if include_prev_action_reward else None
                prev_reward = 1.0 if include_prev_action_reward else None
                if what is trainer:
                    out = trainer.compute_action(obs, state_in, prev_action=prev_action, prev_reward=prev_reward,
                                                 explore=explore, full_fetch=full_fetch)
                else:
                    out = policy.compute_single_action(obs, state_in, prev_action=prev_action, prev_reward=prev_reward,
                                                       explore=explore, clip_actions=True)
                action, state_out = out, None
                if state_in or full_fetch or what is policy:
                    action, state_out, _ = out
                if state_in:
                    assert state_out is not None and len(state_out) == len(state_in), \
                        f"ERROR: {len(state_in)} state inputs but state outputs {state_out!r}"
                    for si, so in zip(state_in, state_out):
                        check(list(np.shape(si)), list(np.shape(so)))
                if not action_space.contains(action):
                    caller = "trainer.compute_action" if what is trainer else "policy.compute_single_action"
                    raise ValueError(f"Returned action ({action!r}) of {caller} (explore={explore}) is not in the "
                                     f"action space ({action_space})!")

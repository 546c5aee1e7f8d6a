"""Callbacks: hook order and arguments driven by a fake worker loop, the legacy dict form,
MultiCallbacks, ``overrides`` and ``make_callbacks``."""

from __future__ import annotations

import functools
import inspect
import warnings

import pytest

from rlcore.sampling.callbacks import HOOKS, LEGACY_HOOKS, DefaultCallbacks, MultiCallbacks, make_callbacks


class Episode:
    def __init__(self, eid):
        self.episode_id, self.length, self.custom_metrics, self.user_data, self.hist_data = eid, 0, {}, {}, {}


class Recorder(DefaultCallbacks):
    """Records (hook, sorted kwargs names) for every hook."""

    def __init__(self, log, tag="R"):
        super().__init__()
        self.log, self.tag = log, tag

    def _rec(self, hook, kwargs):
        self.log.append((self.tag, hook, tuple(sorted(kwargs))))

    def on_episode_start(self, **kw):
        self._rec("on_episode_start", kw)
        kw["episode"].user_data["steps"] = 0

    def on_episode_step(self, **kw):
        self._rec("on_episode_step", kw)
        kw["episode"].user_data["steps"] += 1

    def on_episode_end(self, **kw):
        self._rec("on_episode_end", kw)
        kw["episode"].custom_metrics["steps"] = kw["episode"].user_data["steps"]

    def on_postprocess_trajectory(self, **kw):
        self._rec("on_postprocess_trajectory", kw)
        kw["postprocessed_batch"]["seen"] = True

    def on_sample_end(self, **kw):
        self._rec("on_sample_end", kw)

    def on_learn_on_batch(self, **kw):
        self._rec("on_learn_on_batch", kw)
        kw["result"]["custom"] = 1

    def on_train_result(self, **kw):
        self._rec("on_train_result", kw)


def fake_worker_run(cb, steps=2):
    """The documented call sequence of one sample()/learn/train round, with the documented kwargs."""
    worker, env, policies = object(), object(), {"default_policy": object()}
    ep = Episode(7)
    step = DefaultCallbacks.overrides(cb, "on_episode_step")
    cb.on_episode_start(worker=worker, base_env=env, policies=policies, episode=ep, env_index=0)
    for _ in range(steps):
        ep.length += 1
        if step:
            cb.on_episode_step(worker=worker, base_env=env, episode=ep, env_index=0)
    batch = {}
    original = {"agent0": (policies["default_policy"], {"obs": [1, 2]})}
    cb.on_postprocess_trajectory(worker=worker, episode=ep, agent_id="agent0", policy_id="default_policy",
                                 policies=policies, postprocessed_batch=batch, original_batches=original)
    cb.on_episode_end(worker=worker, base_env=env, policies=policies, episode=ep, env_index=0)
    cb.on_sample_end(worker=worker, samples=batch)
    result = {}
    cb.on_learn_on_batch(policy=policies["default_policy"], train_batch=batch, result=result)
    cb.on_train_result(trainer=object(), result=result)
    return ep, batch, result


EXPECTED = [
    ("on_episode_start", ("base_env", "env_index", "episode", "policies", "worker")),
    ("on_episode_step", ("base_env", "env_index", "episode", "worker")),
    ("on_episode_step", ("base_env", "env_index", "episode", "worker")),
    ("on_postprocess_trajectory", ("agent_id", "episode", "original_batches", "policies", "policy_id", "postprocessed_batch", "worker")),
    ("on_episode_end", ("base_env", "env_index", "episode", "policies", "worker")),
    ("on_sample_end", ("samples", "worker")),
    ("on_learn_on_batch", ("policy", "result", "train_batch")),
    ("on_train_result", ("result", "trainer")),
]


def test_hooks_fire_in_order_with_documented_arguments():
    log = []
    ep, batch, result = fake_worker_run(Recorder(log))
    assert [(h, a) for _, h, a in log] == EXPECTED
    assert ep.custom_metrics == {"steps": 2} and batch == {"seen": True} and result == {"custom": 1}


@pytest.mark.parametrize("hook", HOOKS)
def test_every_default_hook_is_keyword_only_with_kwargs(hook):
    params = inspect.signature(getattr(DefaultCallbacks, hook)).parameters
    names = [p for p in params if p != "self"]
    assert all(params[p].kind is inspect.Parameter.KEYWORD_ONLY for p in names[:-1])
    assert params[names[-1]].kind is inspect.Parameter.VAR_KEYWORD
    with pytest.raises(TypeError):
        getattr(DefaultCallbacks(), hook)(None)  # positional arguments are refused


def test_default_callbacks_do_nothing_and_accept_extra_kwargs():
    ep, batch, result = fake_worker_run(DefaultCallbacks())
    assert (ep.custom_metrics, batch, result) == ({}, {}, {})
    DefaultCallbacks().on_sample_end(worker=None, samples=None, future_arg=1)


# ---------------------------------------------------------------- legacy dict


def test_legacy_dict_dispatches_rllib_info_dicts():
    got = {}
    legacy = {k: functools.partial(lambda key, info: got.setdefault(key, info), k) for k in LEGACY_HOOKS}
    with pytest.warns(DeprecationWarning, match="callbacks dict interface is deprecated"):
        cb = DefaultCallbacks(legacy_callbacks_dict=legacy)
    ep, batch, result = fake_worker_run(cb)
    assert {k: sorted(v) for k, v in got.items()} == {
        "on_episode_start": ["env", "episode", "policy"],
        "on_episode_step": ["env", "episode"],
        "on_episode_end": ["env", "episode", "policy"],
        "on_postprocess_traj": ["agent_id", "all_pre_batches", "episode", "post_batch", "pre_batch"],
        "on_sample_end": ["samples", "worker"],
        "on_train_result": ["result", "trainer"],
    }
    assert got["on_episode_end"]["episode"] is ep and got["on_postprocess_traj"]["post_batch"] is batch
    assert got["on_postprocess_traj"]["pre_batch"][1] == {"obs": [1, 2]}  # (policy, batch) as RLlib
    assert got["on_train_result"]["result"] is result


@pytest.mark.parametrize(
    "legacy,err,match",
    [
        ({"on_episode_strat": print}, ValueError, "did you mean 'on_episode_start'"),
        ({"on_postprocess_trajectory": print}, ValueError, "unknown legacy callback"),
        ({"on_sample_end": 3}, TypeError, "'on_sample_end' must be callable"),
        ([("on_sample_end", print)], TypeError, "must be a dict"),
    ],
)
def test_legacy_dict_errors(legacy, err, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(err, match=match):
            DefaultCallbacks(legacy_callbacks_dict=legacy)


def test_no_warning_without_legacy_dict():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DefaultCallbacks()
        DefaultCallbacks({})
    assert caught == []


# ---------------------------------------------------------------- MultiCallbacks


def test_multi_callbacks_run_children_in_order():
    log = []
    multi = MultiCallbacks([functools.partial(Recorder, log, "A"), Recorder(log, "B")])
    ep, batch, result = fake_worker_run(multi)
    assert [(t, h) for t, h, _ in log] == [(t, h) for h, _ in EXPECTED for t in "AB"]
    # Both children share the episode: each counted the 2 steps into the same user_data.
    assert ep.custom_metrics == {"steps": 4}


def test_multi_callbacks_call_makes_fresh_instances_of_classes_and_shares_instances():
    shared = DefaultCallbacks()
    multi = MultiCallbacks([DefaultCallbacks, shared])
    again = multi()
    assert isinstance(again, MultiCallbacks) and again is not multi
    assert again.callbacks[0] is not multi.callbacks[0] and again.callbacks[1] is shared


@pytest.mark.parametrize(
    "bad,match", [("DefaultCallbacks", "list of callbacks"), ([dict], "class dict"), ([lambda: 3], "returned int"), ([3], "got int 3")]
)
def test_multi_callbacks_errors(bad, match):
    with pytest.raises(TypeError, match=match):
        MultiCallbacks(bad)


# ---------------------------------------------------------------- overrides


class StepOnly(DefaultCallbacks):
    def on_episode_step(self, **kw):
        pass


class Duck:
    def on_episode_step(self, **kw):
        pass


def assigned():
    cb = DefaultCallbacks()
    cb.on_episode_step = lambda **kw: None
    return cb


def legacy(key):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return DefaultCallbacks({key: print})


@pytest.mark.parametrize(
    "make,hook,expected",
    [
        (DefaultCallbacks, "on_episode_step", False),
        (StepOnly, "on_episode_step", True),
        (StepOnly, "on_episode_end", False),
        (lambda: legacy("on_episode_step"), "on_episode_step", True),
        (lambda: legacy("on_postprocess_traj"), "on_postprocess_trajectory", True),
        (lambda: legacy("on_episode_start"), "on_episode_step", False),
        (lambda: MultiCallbacks([DefaultCallbacks, StepOnly]), "on_episode_step", True),
        (lambda: MultiCallbacks([DefaultCallbacks, StepOnly]), "on_sample_end", False),
        (lambda: MultiCallbacks([]), "on_episode_step", False),
        (assigned, "on_episode_step", True),
        (Duck, "on_episode_step", True),
        (Duck, "on_episode_end", False),
        (lambda: None, "on_episode_step", False),
    ],
)
def test_overrides(make, hook, expected):
    assert DefaultCallbacks.overrides(make(), hook) is expected


def test_overrides_names_an_unknown_hook():
    with pytest.raises(ValueError, match="did you mean 'on_episode_step'"):
        DefaultCallbacks.overrides(DefaultCallbacks(), "on_episode_stepp")


def test_sampler_skips_per_step_hook_nobody_overrides():
    log = []

    class EndOnly(DefaultCallbacks):
        def on_episode_end(self, **kw):
            log.append("end")

    fake_worker_run(EndOnly(), steps=5)  # the fake loop skips on_episode_step when not overridden
    assert log == ["end"]


# ---------------------------------------------------------------- make_callbacks


@pytest.mark.parametrize(
    "spec,cls",
    [
        (None, DefaultCallbacks),
        (StepOnly, StepOnly),
        (lambda: StepOnly(), StepOnly),
        (MultiCallbacks([StepOnly]), MultiCallbacks),
    ],
)
def test_make_callbacks(spec, cls):
    assert type(make_callbacks(spec)) is cls


def test_make_callbacks_legacy_dict_and_instance():
    with pytest.warns(DeprecationWarning):
        cb = make_callbacks({"on_sample_end": print})
    assert cb.legacy_callbacks == {"on_sample_end": print}
    inst = StepOnly()
    assert make_callbacks(inst) is inst
    multi = MultiCallbacks([StepOnly])
    assert make_callbacks(multi) is not multi  # a fresh one per worker, as config["callbacks"]() gives


@pytest.mark.parametrize("bad,match", [(42, "got int 42"), (dict, "class dict"), (lambda: "x", "returned str")])
def test_make_callbacks_errors(bad, match):
    with pytest.raises(TypeError, match=match):
        make_callbacks(bad)


def test_on_learn_on_batch_runs_before_the_update_and_its_result_is_custom_metrics():
    """RLlib 1.x: the hook runs before the gradients (an edit to train_batch reaches the loss) and
    what it puts in ``result`` comes back as the learner's custom_metrics."""
    import importlib.util
    import sys
    from pathlib import Path

    from rlcore.sampling.rollout_worker import RolloutWorker

    spec = importlib.util.spec_from_file_location("rlcore_sampling_test_policies", Path(__file__).parent / "_policies.py")
    support = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    if spec.name not in sys.modules:
        sys.modules[spec.name] = support
        spec.loader.exec_module(support)

    seen = []

    class Scale(DefaultCallbacks):
        def on_learn_on_batch(self, *, policy, train_batch, result, **kwargs):
            seen.append(policy.learn_calls)  # before the update: no learn call yet
            train_batch["rewards"] = train_batch["rewards"] * 0  # reaches the learner
            result["rows_seen"] = train_batch.count

    class Recording(support.NumpyPolicy):
        def learn_on_batch(self, samples):
            self.reward_sum = float(samples["rewards"].sum())
            return super().learn_on_batch(samples)

    worker = RolloutWorker(env_creator=lambda ctx: support.CountingEnv(), policy_spec=Recording, callbacks=Scale(),
                           rollout_fragment_length=4)
    info = worker.learn_on_batch(worker.sample())
    assert seen == [0] and worker.get_policy().reward_sum == 0.0
    assert info["default_policy"]["custom_metrics"] == {"rows_seen": 4}


def test_last_raw_obs_for_at_an_episodes_end_is_its_final_observation():
    """RLlib 1.x: on the episode's last step last_raw_obs_for() is that episode's final raw obs
    (it used to be the next episode's reset obs), like last_observation_for()."""
    import gymnasium as gym
    import numpy as np

    from rlcore.sampling.sampler import VectorSampler

    class Ends(gym.Env):
        observation_space = gym.spaces.Box(-100, 100, (1,), np.float32)
        action_space = gym.spaces.Discrete(2)

        def reset(self, *, seed=None, options=None):
            self.t = 0
            return np.array([-1.0], np.float32), {}

        def step(self, action):
            self.t += 1
            return np.array([float(self.t)], np.float32), 1.0, self.t == 3, False, {}

    seen = []

    class Last(DefaultCallbacks):
        def on_episode_end(self, *, episode, **kwargs):
            seen.append((episode.last_raw_obs_for()[0], episode.last_observation_for()[0]))

    VectorSampler(lambda ctx: Ends(), lambda o: np.zeros(len(o), np.int64), num_envs=2, rollout_fragment_length=6,
                  callbacks=Last()).sample()
    assert seen == [(3.0, 3.0)] * 4

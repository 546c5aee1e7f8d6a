"""RolloutWorker and WorkerSet: exact sample counts, bootstrapping, multi-agent, callbacks, failures."""

import importlib.util
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data import MultiAgentBatch, SampleBatch
from rlcore.env import EnvError
from rlcore.policy.policy import known_postprocessing
from rlcore.sampling import (
    DefaultCallbacks,
    RolloutWorker,
    WorkerSet,
    collect_metrics,
    compute_gae_for_fragments,
    compute_gae_for_sample_batch,
    segment_lengths,
)

_here = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("rlcore_sampling_test_policies", _here / "_policies.py")
support = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = support
_spec.loader.exec_module(support)


def _cartpole(ctx):
    return gym.make("CartPole-v1")


def _worker_set(num_workers, num_envs, batch_mode, **extra):
    config = {"rollout_fragment_length": 20, "num_envs_per_worker": num_envs, "batch_mode": batch_mode,
              "seed": 3, **extra}
    return WorkerSet(env_creator=_cartpole, policy_class=support.NumpyPolicy, trainer_config=config,
                     num_workers=num_workers)


def _check_fragments(batch: SampleBatch, batch_mode: str, num_envs: int):
    target = 20 * num_envs
    if batch_mode == "truncate_episodes":
        assert batch.count == target
    else:
        assert batch.count >= target
    seg = segment_lengths(batch)
    assert seg.sum() == batch.count
    bounds = np.concatenate([[0], np.cumsum(seg)])
    for a, b in zip(bounds[:-1], bounds[1:]):
        assert len(set(batch["eps_id"][a:b].tolist())) == 1  # no mixing without an eps_id change
        assert (np.diff(batch["t"][a:b]) == 1).all()
        if batch_mode == "complete_episodes":
            assert batch["dones"][b - 1]  # whole episodes only
    for key in ("advantages", "value_targets", "vf_preds", "obs", "new_obs", "actions", "rewards"):
        assert len(batch[key]) == batch.count, key


@pytest.mark.parametrize("batch_mode", ["truncate_episodes", "complete_episodes"])
@pytest.mark.parametrize("num_envs", [1, 8])
def test_local_sample_counts_are_exact(num_envs, batch_mode):
    ws = _worker_set(0, num_envs, batch_mode)
    for _ in range(3):
        _check_fragments(ws.local_worker().sample(), batch_mode, num_envs)
    ws.stop()


@pytest.mark.ray
@pytest.mark.parametrize("batch_mode", ["truncate_episodes", "complete_episodes"])
@pytest.mark.parametrize("num_envs", [1, 8])
def test_remote_sample_counts_are_exact(ray_session, num_envs, batch_mode):
    ray_session.cloudpickle.register_pickle_by_value(support)
    ws = _worker_set(2, num_envs, batch_mode)
    try:
        assert ws.local_worker().env is None  # spaces came from the remote workers
        for _ in range(2):
            batches = ws.sample()
            assert len(batches) == 2
            for batch in batches:
                _check_fragments(batch, batch_mode, num_envs)
        ids = [set(b["eps_id"].tolist()) for b in ws.sample()]
        assert not (ids[0] & ids[1])  # episode ids are unique across workers
    finally:
        ws.stop()


def _hand_gae(rewards, values, last_r, gamma, lam):
    adv, acc = np.zeros(len(rewards)), 0.0
    nxt = last_r
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + gamma * nxt - values[t]
        acc = delta + gamma * lam * acc
        adv[t], nxt = acc, values[t]
    return adv


class _BatchedGAEPolicy(support.NumpyPolicy):
    """NumpyPolicy whose GAE the sampler may batch: a known postprocess_trajectory running
    compute_gae_for_sample_batch, and postprocess_fragments doing every fragment in one call."""

    fragment_postprocess_fn = staticmethod(compute_gae_for_sample_batch)

    def postprocess_trajectory(self, sample_batch, other_agent_batches=None, episode=None):
        return compute_gae_for_sample_batch(self, sample_batch, other_agent_batches, episode)

    known_postprocessing(postprocess_trajectory, compute_gae_for_sample_batch)

    def postprocess_fragments(self, batch, seg_lens, episodes):
        self.batched_calls = getattr(self, "batched_calls", 0) + 1
        return compute_gae_for_fragments(self, batch, seg_lens)


def _one_episode(env_config, batched):
    worker = RolloutWorker(env_creator=lambda ctx: support.CountingEnv(env_config),
                           policy_spec=_BatchedGAEPolicy if batched else support.NumpyPolicy,
                           rollout_fragment_length=1, batch_mode="complete_episodes",
                           policy_config={"gamma": 0.9, "lambda": 0.8})
    batch = worker.sample()
    assert getattr(worker.get_policy(), "batched_calls", 0) == (1 if batched else 0)
    return batch


@pytest.mark.parametrize("batched", [False, True])
def test_truncated_bootstraps_from_final_value_terminated_from_zero(batched):
    """A terminated episode (t=4) bootstraps 0; a time-limit truncated one (t=3) V(s_3) = 13."""
    term = _one_episode({"terminate_at": 4, "max_steps": 100}, batched)
    assert term["terminateds"].tolist() == [False, False, False, True] and not term["truncateds"].any()
    np.testing.assert_allclose(term["advantages"], _hand_gae([1] * 4, [10, 11, 12, 13], 0.0, 0.9, 0.8), rtol=1e-5)
    trunc = _one_episode({"terminate_at": 100, "max_steps": 3}, batched)
    assert trunc["truncateds"].tolist() == [False, False, True] and not trunc["terminateds"].any()
    np.testing.assert_allclose(trunc["advantages"], _hand_gae([1] * 3, [10, 11, 12], 13.0, 0.9, 0.8), rtol=1e-5)


def test_fragment_cut_mid_episode_bootstraps():
    worker = RolloutWorker(env_creator=lambda ctx: support.CountingEnv({"terminate_at": 50}),
                           policy_spec=support.NumpyPolicy, rollout_fragment_length=3,
                           policy_config={"gamma": 0.5, "lambda": 1.0})
    batch = worker.sample()
    assert not batch["dones"].any()
    np.testing.assert_allclose(batch["advantages"], _hand_gae([1] * 3, [10, 11, 12], 13.0, 0.5, 1.0), rtol=1e-5)


def _two_agent_worker(policies_to_train=None):
    obs_space, act_space = gym.spaces.Box(-100, 100, (2,), np.float32), gym.spaces.Discrete(2)
    return RolloutWorker(
        env_creator=lambda ctx: support.TwoAgentEnv(),
        policy_spec={"pa": (support.NumpyPolicy, obs_space, act_space, {}),
                     "pb": (support.NumpyPolicy, obs_space, act_space, {})},
        policy_mapping_fn=lambda agent_id: "p" + agent_id,
        policies_to_train=policies_to_train, rollout_fragment_length=5, num_envs=2)


def test_multi_agent_batches_per_policy_with_the_right_agents():
    worker = _two_agent_worker()
    batch = worker.sample()
    assert isinstance(batch, MultiAgentBatch)
    assert set(batch.policy_batches) == {"pa", "pb"}
    assert batch.env_steps() == 10
    pa, pb = batch.policy_batches["pa"], batch.policy_batches["pb"]
    assert (pa["obs"][:, 0] == 1).all() and (pb["obs"][:, 0] == 2).all()  # agent a's rows, agent b's rows
    assert (pa["rewards"] == 1).all() and (pb["rewards"] == 2).all()
    assert pa.count == pb.count == 10 and batch.agent_steps() == 20
    assert "advantages" in pa and "value_targets" in pb
    metrics = collect_metrics(worker)
    assert metrics["episodes_this_iter"] == 2
    assert metrics["policy_reward_mean"] == {"pa": 5.0, "pb": 10.0}


def test_policies_to_train_limits_learning():
    worker = _two_agent_worker(policies_to_train=["pa"])
    info = worker.learn_on_batch(worker.sample())
    assert set(info) == {"pa"}
    assert worker.get_policy("pa").learn_calls == 1 and worker.get_policy("pb").learn_calls == 0


class Recorder(DefaultCallbacks):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_episode_start(self, *, worker, base_env, policies, episode, env_index, **kwargs):
        assert isinstance(worker, RolloutWorker) and "default_policy" in policies
        self.calls.append(("start", env_index, episode.episode_id))
        episode.user_data["steps"] = 0

    def on_episode_step(self, *, worker, base_env, episode, env_index, **kwargs):
        episode.user_data["steps"] += 1
        assert episode.length == episode.user_data["steps"]
        assert episode.last_observation_for() is not None
        self.calls.append(("step", env_index, episode.episode_id))

    def on_episode_end(self, *, worker, base_env, policies, episode, env_index, **kwargs):
        episode.custom_metrics["len_plus_one"] = episode.length + 1
        episode.hist_data["lengths"] = [episode.length]
        self.calls.append(("end", env_index, episode.episode_id))

    def on_postprocess_trajectory(self, *, worker, episode, agent_id, policy_id, policies, postprocessed_batch,
                                  original_batches, **kwargs):
        assert agent_id == "agent0" and policy_id == "default_policy"
        assert "advantages" in postprocessed_batch and agent_id in original_batches
        self.calls.append(("postprocess", episode.episode_id, postprocessed_batch.count))

    def on_sample_end(self, *, worker, samples, **kwargs):
        self.calls.append(("sample_end", samples.count))


def test_callbacks_fire_in_order_with_arguments_and_custom_metrics_are_collected():
    cb = Recorder()
    worker = RolloutWorker(env_creator=lambda ctx: support.CountingEnv({"terminate_at": 3}),
                           policy_spec=support.NumpyPolicy, rollout_fragment_length=6,
                           batch_mode="complete_episodes", callbacks=cb)
    worker.sample()
    kinds = [c[0] for c in cb.calls]
    # two 3-step episodes: start, 3 steps, end; then one postprocess per fragment, then sample end
    assert kinds == ["start", "step", "step", "step", "end", "start", "step", "step", "step", "end", "start",
                     "postprocess", "postprocess", "sample_end"]
    first, second = cb.calls[0][2], cb.calls[5][2]
    assert [c[2] for c in cb.calls[:5]] == [first] * 5 and [c[1] for c in cb.calls[11:13]] == [first, second]
    metrics = collect_metrics(worker)
    assert metrics["custom_metrics"]["len_plus_one_mean"] == 4
    assert metrics["hist_stats"]["lengths"] == [3, 3]
    assert metrics["episode_len_mean"] == 3 and metrics["episode_reward_mean"] == 3


def test_env_error_names_env_and_worker():
    worker = RolloutWorker(env_creator=lambda ctx: support.CountingEnv({"fail_at": 2}),
                           policy_spec=support.NumpyPolicy, rollout_fragment_length=5, worker_index=3)
    with pytest.raises(EnvError) as info:
        worker.sample()
    message = str(info.value)
    assert "CountingEnv" in message and "worker 3" in message.lower() or "worker_index=3" in message
    assert isinstance(info.value.__cause__, RuntimeError)


@pytest.mark.ray
def test_killed_remote_worker_is_recreated_and_no_fragment_is_lost(ray_session):
    ray_session.cloudpickle.register_pickle_by_value(support)
    ws = _worker_set(2, 2, "truncate_episodes", recreate_failed_workers=True)
    try:
        ws.local_worker().get_policy().w[:] = 7.0
        victim = ws.remote_workers()[0]
        ray_session.kill(victim)
        batches = ws.sample()
        assert len(batches) == 2 and all(b.count == 40 for b in batches)
        assert victim not in ws.remote_workers() and len(ws.remote_workers()) == 2
        weights = ray_session.get(ws.remote_workers()[0].get_weights.remote(), timeout=60)
        assert weights["default_policy"]["w"][0] == 7.0  # the replacement got the current weights
    finally:
        ws.stop()


@pytest.mark.ray
def test_dead_worker_without_recovery_raises_naming_it(ray_session):
    ray_session.cloudpickle.register_pickle_by_value(support)
    ws = _worker_set(2, 1, "truncate_episodes")
    try:
        ray_session.kill(ws.remote_workers()[1])
        with pytest.raises(RuntimeError, match=r"rollout worker 2 on .* failed \(ActorDiedError"):
            ws.sample()
    finally:
        ws.stop()


def test_worker_save_restore_and_weights():
    a = RolloutWorker(env_creator=_cartpole, policy_spec=support.NumpyPolicy, observation_filter="MeanStdFilter")
    a.sample()
    a.get_policy().w[:] = 3.0
    b = RolloutWorker(env_creator=_cartpole, policy_spec=support.NumpyPolicy, observation_filter="MeanStdFilter")
    b.restore(a.save())
    assert b.get_weights()["default_policy"]["w"][0] == 3.0
    np.testing.assert_allclose(b.filters["default_policy"].rs.mean, a.filters["default_policy"].rs.mean)


def test_custom_sample_collector_class_is_used():
    from rlcore import _backend

    class WithReturns(_backend.TrajectoryCollector):
        """A user's collector: adds each row's reward-to-go within its segment."""

        def pop(self):
            columns, seg_lens = super().pop()
            from rlcore.sampling import discount_cumsum

            out, start = [], 0
            for length in seg_lens.tolist():
                out.append(discount_cumsum(columns["rewards"][start:start + length], 1.0))
                start += length
            columns["reward_to_go"] = np.concatenate(out) if out else np.zeros(0, np.float32)
            return columns, seg_lens

    worker = RolloutWorker(env_creator=lambda ctx: support.CountingEnv({"terminate_at": 3}),
                           policy_spec=support.NumpyPolicy, rollout_fragment_length=3,
                           batch_mode="complete_episodes", policy_config={"sample_collector": WithReturns})
    assert worker.sample()["reward_to_go"].tolist() == [3.0, 2.0, 1.0]
    with pytest.raises(TypeError, match="sample_collector"):
        RolloutWorker(env_creator=_cartpole, policy_spec=support.NumpyPolicy,
                      policy_config={"sample_collector": "fast"}).sample()


def _ppo_worker(callbacks=None, **config):
    from rlcore.algorithms.ppo import PPOTorchPolicy

    return RolloutWorker(env_creator=_cartpole, policy_spec=PPOTorchPolicy, callbacks=callbacks,
                         policy_config={"framework": "torch", "model": {"fcnet_hiddens": [16]}, **config},
                         rollout_fragment_length=50, num_envs=4, seed=5)


class _StepCallback(DefaultCallbacks):
    def __init__(self):
        super().__init__()
        self.vf_preds = []

    def on_episode_step(self, *, worker, base_env, episode, env_index=None, **kwargs):
        self.vf_preds.append(episode.last_pi_info_for()["vf_preds"])


def test_vf_preds_come_per_sample_and_equal_the_per_step_values():
    """A PPO worker fills vf_preds with one value_batch call per sample; a callback reading
    pi_info per step keeps the per-step values. Same seed: same actions, same values."""
    deferred = _ppo_worker()
    callback = _StepCallback()
    per_step = _ppo_worker(callbacks=lambda: callback)
    per_step.set_weights(deferred.get_weights())
    import torch

    torch.manual_seed(0)  # the action draws come from torch's global generator: same stream for both
    a = deferred.sample()
    torch.manual_seed(0)
    b = per_step.sample()
    assert deferred._deferred_values and not per_step._deferred_values
    np.testing.assert_array_equal(a["actions"], b["actions"])
    np.testing.assert_allclose(a["vf_preds"], b["vf_preds"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a["advantages"], b["advantages"], rtol=1e-4, atol=1e-5)
    assert len(callback.vf_preds) == b.count and a["vf_preds"].dtype == np.float32


def test_one_step_samples_take_vf_preds_from_the_acting_forward():
    """rollout_fragment_length=1: vf_preds come from the acting forward (no value_batch pass of
    their own), equal to value_batch's to the bit, in the column order of per-sample vf_preds."""
    from rlcore.algorithms.ppo import PPOTorchPolicy

    def worker(fragment):
        return RolloutWorker(env_creator=_cartpole, policy_spec=PPOTorchPolicy, seed=5, num_envs=4,
                             policy_config={"framework": "torch", "model": {"fcnet_hiddens": [16]}},
                             rollout_fragment_length=fragment)

    one, two = worker(1), worker(2)
    one.set_weights(two.get_weights())
    policy = one.get_policy()
    value_batch = policy.value_batch
    batches = []
    for _ in range(3):
        calls = []
        policy.value_batch = lambda obs, *args, **kwargs: calls.append(obs.copy()) or value_batch(obs, *args, **kwargs)
        b = one.sample()
        batches.append(b)
        open_rows = ~b["terminateds"]  # each env's fragment bootstraps from its last new_obs, no other value pass
        assert len(calls) == 1 and np.array_equal(calls[0], b["new_obs"][open_rows])
    assert list(batches[0].keys()) == list(two.sample().keys())
    assert not one._deferred_values and two._deferred_values
    for b in batches:
        assert b["vf_preds"].dtype == np.float32
        np.testing.assert_array_equal(b["vf_preds"], value_batch(b["obs"]))


def test_action_logp_comes_per_sample_and_equals_the_per_step_logp():
    """A PPO worker fills action_logp and action_prob with one action_logp_batch call per sample;
    with a callback reading pi_info per step they come from each step. Same seed: same actions,
    columns in the same order with the same dtypes, the same log-likelihoods."""
    import torch

    deferred = _ppo_worker()
    callback = _StepCallback()
    per_step = _ppo_worker(callbacks=lambda: callback)
    per_step.set_weights(deferred.get_weights())
    for _ in range(2):
        torch.manual_seed(1)
        a = deferred.sample()
        torch.manual_seed(1)
        b = per_step.sample()
        assert deferred._deferred_logp and not per_step._deferred_logp
        order = [k for k in a if k != "vf_preds"]  # (per-step vf_preds come with the step's extras)
        assert order == [k for k in b if k != "vf_preds"] and set(a) == set(b)
        assert order[order.index("action_dist_inputs") + 1:][:2] == ["action_prob", "action_logp"]
        assert {k: a[k].dtype for k in a} == {k: b[k].dtype for k in b}
        np.testing.assert_array_equal(a["actions"], b["actions"])
        np.testing.assert_allclose(a["action_logp"], b["action_logp"], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a["action_prob"], b["action_prob"], rtol=1e-6, atol=1e-7)
        policy = deferred.get_policy()
        dist = policy.dist_class(torch.from_numpy(a["action_dist_inputs"]), policy.model)
        np.testing.assert_allclose(a["action_logp"], dist.logp(torch.from_numpy(a["actions"])).numpy(), rtol=1e-6)


def test_episode_objects_are_made_only_when_postprocessing_reads_them(made_episodes):
    """A PPO worker without episode callbacks makes no Episode objects (its metrics come from the
    sampler's counters); with on_postprocess_trajectory the episodes exist for it, and what it
    writes into ``custom_metrics`` reaches each finished episode's metrics (RLlib's example
    counts fragments per episode so)."""
    made = made_episodes

    class CountFragments(DefaultCallbacks):
        def on_postprocess_trajectory(self, *, episode, **kwargs):
            episode.custom_metrics["fragments"] = episode.custom_metrics.get("fragments", 0) + 1

    for callbacks in (None, CountFragments):
        worker = _ppo_worker(callbacks=callbacks)
        assert worker.sampler is None or worker.sampler._lean_ends
        fragments, finished = {}, []
        for _ in range(4):
            batch = worker.sample()
            seg_lens = segment_lengths(batch)
            starts, ends = np.cumsum(seg_lens) - seg_lens, np.cumsum(seg_lens) - 1
            for eps_id, done in zip(batch["eps_id"][starts].tolist(), batch["dones"][ends].tolist()):
                fragments[eps_id] = fragments.get(eps_id, 0) + 1
                if done:
                    finished.append(fragments[eps_id])
            metrics = worker.get_metrics()
            got = sorted(m.custom_metrics.get("fragments", 0) for m in metrics)
            assert got == (sorted(finished) if callbacks else [0] * len(finished))
            finished = []
        assert worker.sampler._lean_ends
        assert (len(made) == 0) == (callbacks is None)
        assert all(m.episode_length > 0 for m in metrics)


def test_action_logp_is_per_step_when_the_exploration_or_explore_changes_it():
    """Deterministic actions (explore=False) have logp 0 and a random warm-up logp 0: no deferral
    there; an exploration other than StochasticSampling, or an action_sampler_fn, keeps its own logp."""
    from rlcore.algorithms.pg import PGTorchPolicy
    from rlcore.algorithms.ppo import PPOTorchPolicy

    obs, act = gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(2)
    cfg = {"framework": "torch", "model": {"fcnet_hiddens": [8]}}
    assert PPOTorchPolicy(obs, act, cfg).logp_deferrable()
    warm = {**cfg, "exploration_config": {"type": "StochasticSampling", "random_timesteps": 10}}
    assert not PPOTorchPolicy(obs, act, warm).logp_deferrable()
    greedy = {**cfg, "exploration_config": {"type": "EpsilonGreedy"}}
    assert not PPOTorchPolicy(obs, act, greedy).logp_deferrable()
    sampler = PGTorchPolicy.with_updates(
        action_sampler_fn=lambda policy, model, obs, state, **kw: (torch_zeros(len(obs)), torch_zeros(len(obs))))
    assert not sampler(obs, act, cfg).logp_deferrable()
    worker = _ppo_worker(explore=False)
    batch = worker.sample()
    assert not worker._deferred_logp and not batch["action_logp"].any()
    one_step = RolloutWorker(env_creator=_cartpole, policy_spec=PPOTorchPolicy, policy_config=cfg,
                             rollout_fragment_length=1, num_envs=4, seed=5)
    batch = one_step.sample()  # one vector step a sample: logp per step (a per-sample call costs more)
    assert not one_step._deferred_logp and batch.count == 4 and (batch["action_logp"] < 0).all()
    _, _, fetches = PPOTorchPolicy(obs, act, cfg).compute_actions(np.zeros((3, 4), np.float32), explore=False,
                                                                  fetch_logp=False)
    assert fetches["action_logp"].tolist() == [0.0, 0.0, 0.0]  # explore=False: always its own logp
    _, _, fetches = PPOTorchPolicy(obs, act, cfg).compute_actions(np.zeros((3, 4), np.float32), fetch_logp=False)
    assert "action_logp" not in fetches and "action_prob" not in fetches and "action_dist_inputs" in fetches


def test_the_sampling_actor_acts_as_compute_actions():
    """A PPO worker that defers values and logp acts through the policy's sampling_actor: with the
    same seed, the same actions and distribution inputs as compute_actions(fetch_vf_preds=False,
    fetch_logp=False), the same exploration timestep and global_timestep count, the model's last
    output set. No actor where compute_actions would do more (an RNN, a random warm-up, no value
    network), and none in a worker whose callbacks read the per-step extras."""
    import torch

    from rlcore.algorithms.pg import PGTorchPolicy
    from rlcore.algorithms.ppo import PPOTorchPolicy

    obs_space, act_space = gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(3)
    cfg = {"framework": "torch", "model": {"fcnet_hiddens": [8]}}
    a, b = PPOTorchPolicy(obs_space, act_space, cfg), PPOTorchPolicy(obs_space, act_space, cfg)
    b.set_weights(a.get_weights())
    actor = a.sampling_actor()
    obs = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    for timestep in (7, None):
        torch.manual_seed(3)
        actions, extras = actor(obs, timestep)
        torch.manual_seed(3)
        want, state, fetches = b.compute_actions(obs, explore=True, timestep=timestep, fetch_vf_preds=False,
                                                 fetch_logp=False)
        assert state == [] and list(extras) == list(fetches) == ["action_dist_inputs"]
        assert actions.dtype == want.dtype and len(set(actions.tolist())) == 3
        np.testing.assert_array_equal(actions, want)
        np.testing.assert_array_equal(extras["action_dist_inputs"], fetches["action_dist_inputs"])
        assert a.global_timestep == b.global_timestep and a.exploration.last_timestep == b.exploration.last_timestep
        assert torch.equal(a.model.last_output(), b.model.last_output())
    assert a.global_timestep == 128 and a.exploration.last_timestep == 64  # None: the policy's own count
    lstm = {**cfg, "model": {"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 4}}
    warm = {**cfg, "exploration_config": {"type": "StochasticSampling", "random_timesteps": 10}}
    assert PPOTorchPolicy(obs_space, act_space, lstm).sampling_actor() is None
    assert PPOTorchPolicy(obs_space, act_space, warm).sampling_actor() is None
    assert PGTorchPolicy(obs_space, act_space, cfg).sampling_actor() is None
    worker, hooked = _ppo_worker(), _ppo_worker(callbacks=_StepCallback)
    worker.sample(), hooked.sample()
    assert worker.sampler._act.__name__ == "act_with_actor" and hooked.sampler._act.__name__ == "act"


def test_the_sampling_actor_switches_to_eval_and_calls_an_exploration_that_overrides_the_hook():
    """The actor puts a model left in train mode into eval mode (as compute_actions does), the
    base Exploration records the timestep, and an exploration's own before_compute_actions gets
    the timestep and explore=True."""
    from rlcore.algorithms.ppo import PPOTorchPolicy

    obs_space, act_space = gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(2)
    policy = PPOTorchPolicy(obs_space, act_space, {"framework": "torch", "model": {"fcnet_hiddens": [8]}})
    calls = []

    class Recording(type(policy.exploration)):
        def before_compute_actions(self, *, timestep=None, explore=None, **kwargs):
            calls.append((timestep, explore))
            self.last_timestep = -1  # the actor must not overwrite what the hook decides

    plain_actor = policy.sampling_actor()
    policy.model.train()
    plain_actor(np.zeros((3, 4), np.float32), 11)
    assert not policy.model.training and not any(m.training for m in policy.model.modules())
    assert policy.exploration.last_timestep == 11 and calls == []
    policy.exploration.__class__ = Recording
    actor = policy.sampling_actor()
    actor(np.zeros((3, 4), np.float32), 5)
    actor(np.zeros((2, 4), np.float32), None)
    assert calls == [(5, True), (6, True)] and policy.exploration.last_timestep == -1  # None: global_timestep (3 + 3)


def test_the_sampling_actor_draws_without_a_distribution_object_only_for_the_plain_categorical(monkeypatch):
    """With TorchCategorical itself the actor draws from the logits directly (no distribution
    object, the same actions as compute_actions for the same seed); a subclass (here one with a
    bound temperature) is built and sampled, also matching compute_actions. A model with its own
    __call__ is called through it."""
    import torch

    from rlcore.algorithms.ppo import PPOTorchPolicy
    from rlcore.models.torch.torch_action_dist import TorchCategorical

    obs_space, act_space = gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(3)
    cfg = {"framework": "torch", "model": {"fcnet_hiddens": [8]}}
    obs = np.random.default_rng(1).standard_normal((32, 4)).astype(np.float32)
    built = []
    original_init = TorchCategorical.__init__

    def counting_init(self, *args, **kwargs):
        built.append(type(self))
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(TorchCategorical, "__init__", counting_init)
    for dist_class in (TorchCategorical, TorchCategorical.with_kwargs(temperature=2.0)):
        a, b = PPOTorchPolicy(obs_space, act_space, cfg), PPOTorchPolicy(obs_space, act_space, cfg)
        a.dist_class = b.dist_class = dist_class
        b.set_weights(a.get_weights())
        actor = a.sampling_actor()
        built.clear()
        torch.manual_seed(4)
        actions, extras = actor(obs, 3)
        assert built == ([] if dist_class is TorchCategorical else [dist_class])
        torch.manual_seed(4)
        want, _, fetches = b.compute_actions(obs, explore=True, timestep=3, fetch_vf_preds=False, fetch_logp=False)
        np.testing.assert_array_equal(actions, want)
        np.testing.assert_array_equal(extras["action_dist_inputs"], fetches["action_dist_inputs"])
    calls = []
    policy = PPOTorchPolicy(obs_space, act_space, cfg)

    class Recorded(type(policy.model)):
        def __call__(self, input_dict, state=None, seq_lens=None):
            calls.append(sorted(input_dict))
            return super().__call__(input_dict, state, seq_lens)

    policy.model.__class__ = Recorded
    policy.sampling_actor()(obs, 3)
    assert calls == [["is_training", "obs"]]


def torch_zeros(n):
    import torch

    return torch.zeros(n, dtype=torch.int64)


def test_values_deferrable_only_for_the_default_value_extra():
    from rlcore.algorithms.pg import PGTorchPolicy
    from rlcore.algorithms.ppo import PPOTorchPolicy

    obs, act = gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(2)
    cfg = {"framework": "torch", "model": {"fcnet_hiddens": [8]}}
    assert PPOTorchPolicy(obs, act, cfg).values_deferrable()
    assert not PGTorchPolicy(obs, act, cfg).values_deferrable()  # no value network
    lstm = {**cfg, "model": {"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 4}}
    assert not PPOTorchPolicy(obs, act, lstm).values_deferrable()
    extra = PPOTorchPolicy.with_updates(extra_action_out_fn=lambda p, *a: {"seen": np.ones(len(a[0]["obs"]))})
    policy = extra(obs, act, cfg)
    assert not policy.values_deferrable()
    _, _, fetches = policy.compute_actions(np.zeros((3, 4), np.float32), fetch_vf_preds=False)
    assert {"vf_preds", "seen"} <= set(fetches)  # a policy that cannot defer keeps every extra
    _, _, fetches = PPOTorchPolicy(obs, act, cfg).compute_actions(np.zeros((3, 4), np.float32), fetch_vf_preds=False)
    assert "vf_preds" not in fetches and "action_logp" in fetches


def test_a_users_vector_env_is_sampled_in_whole_fragments_of_the_workers_size():
    """RLlib 1.x: a user's vector env of 8 with num_envs_per_worker=1 and rollout_fragment_length=10
    gives 10 rows a sample (whole per-env fragments, the others wait for the next samples), and the
    worker reports rollout_fragment_length * num_envs."""
    from gymnasium.vector import AutoresetMode, SyncVectorEnv

    def creator(ctx):
        return SyncVectorEnv([lambda: support.CountingEnv({"terminate_at": 1000})] * 8,
                             autoreset_mode=AutoresetMode.SAME_STEP)

    worker = RolloutWorker(env_creator=creator, policy_spec=support.NumpyPolicy, rollout_fragment_length=10)
    assert worker.rollout_fragment_length == 10
    batches = [worker.sample() for _ in range(9)]
    assert [b.count for b in batches] == [10] * 9
    assert [int(b["env_id"][0]) for b in batches] == list(range(8)) + [0]  # each sub-env's fragment in turn
    assert batches[0]["obs"][:, 0].tolist() == list(range(10)) and batches[8]["obs"][:, 0].tolist() == list(range(10, 20))
    wide = RolloutWorker(env_creator=lambda ctx: support.CountingEnv(), policy_spec=support.NumpyPolicy,
                         rollout_fragment_length=10, num_envs=3)
    assert wide.rollout_fragment_length == 30 and wide.sample().count == 30


@pytest.mark.ray
def test_as_remote_with_defaults_holds_no_cpu(ray_mod):
    """RLlib 1.x: RolloutWorker.as_remote() takes Ray's actor defaults, so more workers than CPUs
    all run (the session has 2 CPUs; three workers that each held one would hang)."""
    ray_mod.cloudpickle.register_pickle_by_value(support)
    cls = RolloutWorker.as_remote()
    workers = [cls.remote(env_creator=lambda ctx: support.CountingEnv(), policy_spec=support.NumpyPolicy,
                          rollout_fragment_length=4) for _ in range(3)]
    try:
        assert [b.count for b in ray_mod.get([w.sample.remote() for w in workers], timeout=60)] == [4, 4, 4]
    finally:
        for w in workers:
            ray_mod.kill(w)


def test_bootstrap_truncated_false_is_rllib_1x_rule():
    """RLlib 1.x bootstrapped 0 at every done, time limits included; bootstrap_truncated=False
    restores it (rlcore's default bootstraps a truncated episode from V(s_T))."""
    worker = RolloutWorker(env_creator=lambda ctx: support.CountingEnv({"terminate_at": 100, "max_steps": 3}),
                           policy_spec=support.NumpyPolicy, rollout_fragment_length=1, batch_mode="complete_episodes",
                           policy_config={"gamma": 0.9, "lambda": 0.8, "bootstrap_truncated": False})
    trunc = worker.sample()
    assert trunc["truncateds"].tolist() == [False, False, True]
    np.testing.assert_allclose(trunc["advantages"], _hand_gae([1] * 3, [10, 11, 12], 0.0, 0.9, 0.8), rtol=1e-5)


def test_a_seeded_worker_samples_the_same_actions_in_a_fresh_process():
    """The seed reaches the framework's RNG even when the worker is the first to import torch: two
    workers seeded alike, built one after the other in a new interpreter, draw the same actions."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import gymnasium as gym
        from rlcore.algorithms.ppo.ppo_torch_policy import PPOTorchPolicy
        from rlcore.sampling.rollout_worker import RolloutWorker

        def actions():
            worker = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=PPOTorchPolicy,
                                   policy_config={"framework": "torch"}, rollout_fragment_length=40, seed=0)
            return worker.sample()["actions"].tolist()

        assert "torch" not in __import__("sys").modules
        print(actions() == actions())
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr[-2000:]


#: The second sample of a 4-env CartPole worker (fcnet_hiddens [16], seed 5, torch seed 1 before the
#: first sample) at the start of issue #20's shared-path work (2306377, when PPO still sampled
#: through a separate lean call): the actions packed 8 per byte, and float64 sums of columns.
_GOLDEN = {
    "PPO": ("f6ef298c16804a796e780d124618757a31ee1425080b0924da",
            {"action_dist_inputs": -0.2849115209537558, "vf_preds": 0.14575103000970557,
             "action_logp": -138.66543805599213, "action_prob": 99.98206847906113, "obs": 15.223919330630451}),
    "DQN": ("68a7461c8f58a6324ad17adb98f5488f15bb28eabff7e665f3",
            {"action_dist_inputs": -11.009659645147622, "action_logp": 0.0, "action_prob": 200.0,
             "obs": 0.5676330630085431}),
}


@pytest.mark.parametrize("name", sorted(_GOLDEN))
def test_a_worker_samples_what_it_sampled_before_the_shared_call_path(name):
    """PPO's worker (values and logp deferred) and DQN's (epsilon-greedy, per-step extras) act
    through compute_actions and ModelV2.__call__'s short path; same seeds, the same sample as at
    the start commit (golden numbers above): the same draws from the same RNG stream, the same
    distribution inputs, values and logp, and the same timesteps counted."""
    import torch

    from rlcore.algorithms.dqn.dqn_torch_policy import DQNTorchPolicy
    from rlcore.algorithms.ppo import PPOTorchPolicy

    policy_class = {"PPO": PPOTorchPolicy, "DQN": DQNTorchPolicy}[name]
    worker = RolloutWorker(env_creator=_cartpole, policy_spec=policy_class,
                           policy_config={"framework": "torch", "model": {"fcnet_hiddens": [16]}},
                           rollout_fragment_length=50, num_envs=4, seed=5)
    torch.manual_seed(1)
    worker.sample()
    batch = worker.sample()
    bits, sums = _GOLDEN[name]
    assert (worker._deferred_values, worker._deferred_logp) == ((True, True) if name == "PPO" else (False, False))
    assert np.packbits(batch["actions"].astype(np.uint8)).tobytes().hex() == bits
    for key, total in sums.items():
        assert batch[key].dtype == np.float32, key
        assert float(np.asarray(batch[key], np.float64).sum()) == pytest.approx(total, rel=1e-6, abs=1e-6), key
    assert worker.get_policy().global_timestep == 400


@pytest.mark.parametrize("max_steps", [30, 500])  # truncated episodes and cuts / cuts mid-episode only
def test_the_bootstrap_values_come_from_the_vf_preds_forward_with_the_same_advantages(monkeypatch, max_steps):
    """PPO's worker (values deferred) computes each fragment's bootstrap value in the forward pass
    of the rows' vf_preds: no second value call in postprocessing, and the same advantages and
    value targets as the separate call gives (same seeds; float rounding of the batched matmul)."""
    import rlcore.sampling.postprocessing as postprocessing
    from rlcore.algorithms.ppo import PPOTorchPolicy

    def sample(fused):
        worker = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1", max_episode_steps=max_steps),
                               policy_spec=PPOTorchPolicy,
                               policy_config={"framework": "torch", "model": {"fcnet_hiddens": [16]}},
                               rollout_fragment_length=40, num_envs=4, seed=3)
        worker.sample()  # builds the sampler (and decides the path)
        assert worker._fused_bootstrap
        worker._fused_bootstrap = fused
        calls = []
        original = postprocessing.policy_values
        monkeypatch.setattr(postprocessing, "policy_values", lambda *a: calls.append(1) or original(*a))
        batches = [worker.sample() for _ in range(3)]
        monkeypatch.setattr(postprocessing, "policy_values", original)
        return batches, len(calls)

    fused, fused_calls = sample(True)
    separate, separate_calls = sample(False)
    assert fused_calls == 0 and separate_calls == 3
    for a, b in zip(fused, separate):
        np.testing.assert_array_equal(a["actions"], b["actions"])
        for key in ("vf_preds", "advantages", "value_targets"):
            assert a[key].dtype == np.float32
            np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6, err_msg=key)
        assert a["truncateds"].any() == (max_steps == 30)

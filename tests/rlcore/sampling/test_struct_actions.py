"""Tuple/Dict action spaces in the vectorized sampler: flat stored rows, structured env actions."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.sampling import RolloutWorker, VectorSampler
from rlcore.sampling.struct_actions import StructuredActions

TUPLE = gym.spaces.Tuple([gym.spaces.Discrete(3), gym.spaces.Box(-1.0, 1.0, (2,), np.float32)])
NESTED = gym.spaces.Dict({"move": gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.MultiDiscrete([2, 3])]),
                          "force": gym.spaces.Box(0.0, 2.0, (1,), np.float32)})


class StructEnv(gym.Env):
    """Checks every action it gets against its space; the reward is the first discrete leaf."""

    def __init__(self, space=TUPLE, length=7):
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
        self.action_space = space
        self.length = length
        self.received = []

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.full(3, 0.1, np.float32), {}

    def step(self, action):
        assert self.action_space.contains(action), f"{action!r} not in {self.action_space}"
        self.received.append(action)
        self.t += 1
        first = action[0] if isinstance(action, tuple) else action["move"][0]
        return np.full(3, 0.1 * self.t, np.float32), float(first), self.t >= self.length, False, {}


def random_struct_policy(space, seed=0):
    """A bare policy returning the batched structure (a tuple/dict of [N, ...] arrays)."""
    rng = np.random.default_rng(seed)

    def batched(sp, n):
        if isinstance(sp, gym.spaces.Tuple):
            return tuple(batched(s, n) for s in sp.spaces)
        if isinstance(sp, gym.spaces.Dict):
            return {k: batched(s, n) for k, s in sp.spaces.items()}
        if isinstance(sp, gym.spaces.Discrete):
            return rng.integers(0, sp.n, n)
        if isinstance(sp, gym.spaces.MultiDiscrete):
            return rng.integers(0, sp.nvec, (n, len(sp.nvec)))
        return rng.uniform(sp.low, sp.high, (n, *sp.shape)).astype(np.float32)

    return lambda obs: batched(space, len(obs))


def test_flat_rows_round_trip_and_dtype():
    sa = StructuredActions(NESTED)
    assert (sa.width, sa.dtype) == (4, np.float32)  # Discrete 1 + MultiDiscrete 2 + Box 1
    batched = random_struct_policy(NESTED)(np.zeros((5, 3)))
    flat = sa.flat(batched, 5)
    assert flat.shape == (5, 4)
    np.testing.assert_array_equal(sa.flat(flat, 5), flat)  # flat rows are accepted as they are
    for a, b in zip(sa.env_actions(batched, 5), sa.env_actions(flat, 5)):
        assert NESTED.contains(a) and NESTED.contains(b)
        assert a["move"][0] == b["move"][0] and np.array_equal(a["move"][1], b["move"][1])
        np.testing.assert_allclose(a["force"], b["force"])
    discrete = StructuredActions(gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Discrete(4)]))
    assert discrete.dtype == np.int64 and discrete.flat((np.array([1]), np.array([3])), 1).tolist() == [[1, 3]]


def test_wrong_action_shapes_name_the_space():
    sa = StructuredActions(TUPLE)
    with pytest.raises(ValueError, match=r"expected \(4, 2\)"):
        sa.flat((np.zeros(4, np.int64), np.zeros((4, 3), np.float32)), 4)
    with pytest.raises(ValueError, match=r"flat rows of shape \(4, 3\)"):
        sa.flat(np.zeros((4, 5)), 4)
    with pytest.raises(ValueError, match="does not match the Tuple space"):
        sa.flat((np.zeros(4),), 4)


def test_clipper_clips_only_box_leaves():
    clip = StructuredActions(TUPLE).clipper()
    (a,) = clip([(np.int64(2), np.array([3.0, -3.0], np.float32))])
    assert a[0] == 2 and a[1].tolist() == [1.0, -1.0]
    assert StructuredActions(gym.spaces.Tuple([gym.spaces.Discrete(2)])).clipper() is None


@pytest.mark.parametrize("space", [TUPLE, NESTED], ids=["tuple", "nested-dict"])
def test_vector_sampler_stores_flat_rows_and_steps_with_structures(space):
    envs = []

    def creator(ctx):
        envs.append(StructEnv(space))
        return envs[-1]

    sampler = VectorSampler(creator, random_struct_policy(space), num_envs=3, rollout_fragment_length=10,
                            use_prev_actions_rewards=True)
    batch = sampler.sample()
    width = StructuredActions(space).width
    assert batch.count == 30 and batch["actions"].shape == (30, width)
    assert sum(len(e.received) for e in envs) == 30  # every env step got a valid structured action
    sa = StructuredActions(space)
    for env in envs:  # rows of each env are the flat form of what the env received, in order
        rows = batch["actions"][batch["env_id"] == envs.index(env)]
        np.testing.assert_allclose(rows, np.concatenate([sa.flat(_batched_one(space, a), 1) for a in env.received]),
                                   rtol=1e-6)
    same_episode = batch["t"][1:] > 0  # prev_actions: the previous row's flat action within an episode
    np.testing.assert_allclose(batch["prev_actions"][1:][same_episode & (np.diff(batch["env_id"]) == 0)],
                               batch["actions"][:-1][same_episode & (np.diff(batch["env_id"]) == 0)])


def _batched_one(space, action):
    if isinstance(space, gym.spaces.Tuple):
        return tuple(_batched_one(s, a) for s, a in zip(space.spaces, action))
    if isinstance(space, gym.spaces.Dict):
        return {k: _batched_one(s, action[k]) for k, s in space.spaces.items()}
    return np.asarray(action)[None]


def test_gymnasium_vector_env_gets_batched_structured_actions():
    vec = gym.vector.SyncVectorEnv([StructEnv, StructEnv], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    sampler = VectorSampler(vec, random_struct_policy(TUPLE), rollout_fragment_length=8)
    assert sampler.env.get_vector_env() is vec  # gymnasium batches the per-env actions (concatenate)
    batch = sampler.sample()
    assert batch.count == 16 and batch["actions"].shape == (16, 3)
    assert set(np.unique(batch["rewards"]).tolist()) <= {0.0, 1.0, 2.0}
    np.testing.assert_array_equal(batch["rewards"], batch["actions"][:, 0])  # reward = the discrete leaf


@pytest.mark.parametrize("space", [TUPLE, NESTED], ids=["tuple", "nested-dict"])
def test_ppo_torch_samples_and_learns_on_structured_actions(space):
    from rlcore.algorithms.ppo import PPOTorchPolicy

    worker = RolloutWorker(env_creator=lambda ctx: StructEnv(space), policy_spec=PPOTorchPolicy,
                           policy_config={"framework": "torch", "model": {"fcnet_hiddens": [16]}},
                           rollout_fragment_length=20, num_envs=2, seed=1)
    batch = worker.sample()
    policy = worker.get_policy()
    assert batch["actions"].shape == (40, StructuredActions(space).width)
    # the stored flat rows are what the distribution's logp splits: the sampled logp comes back
    logp = policy.compute_log_likelihoods(batch["actions"], batch["obs"])
    np.testing.assert_allclose(logp, batch["action_logp"], rtol=1e-4, atol=1e-4)
    stats = policy.learn_on_batch(batch)["learner_stats"]
    assert np.isfinite(stats["total_loss"])


def test_multi_agent_policy_with_tuple_actions():
    """Each agent's env action is its own structure; its policy's rows hold the flat form."""
    from rlcore.algorithms.ppo import PPOTorchPolicy
    from rlcore.env import MultiAgentEnv

    class TwoStructAgents(MultiAgentEnv):
        def __init__(self, ctx=None):
            super().__init__()
            self.envs = {"a": StructEnv(), "b": StructEnv()}
            self.observation_space = self.envs["a"].observation_space
            self.action_space = TUPLE

        def reset(self, *, seed=None, options=None):
            return {k: e.reset()[0] for k, e in self.envs.items()}, {}

        def step(self, action_dict):
            obs, rew, term, trunc = {}, {}, {}, {}
            for k, action in action_dict.items():
                obs[k], rew[k], term[k], trunc[k], _ = self.envs[k].step(action)
            term["__all__"], trunc["__all__"] = all(term.values()), False
            return obs, rew, term, trunc, {}

    obs_space = StructEnv().observation_space
    worker = RolloutWorker(
        env_creator=lambda ctx: TwoStructAgents(ctx), rollout_fragment_length=14, num_envs=1, seed=2,
        policy_spec={"p": (PPOTorchPolicy, obs_space, TUPLE, {"model": {"fcnet_hiddens": [8]}})},
        policy_mapping_fn=lambda agent_id: "p", policy_config={"framework": "torch"})
    batch = worker.sample().policy_batches["p"]
    assert batch["actions"].shape == (28, 3) and batch.count == 28
    np.testing.assert_array_equal(batch["rewards"], batch["actions"][:, 0])  # reward = the discrete leaf

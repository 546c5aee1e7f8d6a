"""Exploration strategies on torch and TF distributions: explore=False, schedules, bounds, state."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.policy.exploration import (
    EpsilonGreedy,
    Exploration,
    GaussianNoise,
    OrnsteinUhlenbeckNoise,
    Random,
    StochasticSampling,
    from_config,
)

DISCRETE = gym.spaces.Discrete(3)
BOX = gym.spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
FRAMEWORKS = ["torch", "tf2"]


def dist(framework, kind, inputs):
    inputs = np.asarray(inputs, np.float32)
    if framework == "torch":
        import torch

        from rlcore.models.torch.torch_action_dist import TorchCategorical, TorchDeterministic

        cls = TorchCategorical if kind == "cat" else TorchDeterministic
        return cls(torch.as_tensor(inputs))
    import tensorflow as tf

    from rlcore.models.tf.tf_action_dist import Categorical, Deterministic

    return (Categorical if kind == "cat" else Deterministic)(tf.constant(inputs))


def run(exploration, d, timestep, explore=True):
    exploration.before_compute_actions(timestep=timestep, explore=explore)
    actions, logp = exploration.get_exploration_action(action_distribution=d, timestep=timestep, explore=explore)
    return np.asarray(actions), np.asarray(logp)


Q = np.tile([[0.0, 5.0, 1.0]], (200, 1))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_stochastic_sampling(framework):
    e = StochasticSampling(DISCRETE, framework=framework)
    acts, logp = run(e, dist(framework, "cat", Q), 0)
    assert set(acts) <= {0, 1, 2} and (acts == 1).mean() > 0.9 and np.all(logp < 0)
    acts, logp = run(e, dist(framework, "cat", Q), 0, explore=False)
    assert (acts == 1).all() and (logp == 0).all()
    warm = StochasticSampling(DISCRETE, framework=framework, random_timesteps=10)
    acts, logp = run(warm, dist(framework, "cat", Q), 5)
    assert (acts != 1).sum() > 50 and (logp == 0).all()
    acts, _ = run(warm, dist(framework, "cat", Q), 10)
    assert (acts == 1).mean() > 0.9


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_epsilon_greedy_schedule(framework):
    e = EpsilonGreedy(DISCRETE, framework=framework, initial_epsilon=1.0, final_epsilon=0.0, epsilon_timesteps=100)
    d = dist(framework, "cat", Q)
    assert (run(e, d, 100)[0] == 1).all()
    acts, _ = run(e, d, 0)
    assert 0.2 < (acts == 0).mean() < 0.5 and 0.2 < (acts == 2).mean() < 0.5
    acts, _ = run(e, d, 50)
    assert 0.5 < (acts == 1).mean() < 0.85
    assert (run(e, d, 0, explore=False)[0] == 1).all()
    assert e.get_state() == {"last_timestep": 0, "cur_epsilon": 1.0}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_epsilon_greedy_never_picks_masked_actions(framework):
    q = np.tile([[0.0, np.finfo(np.float32).min, 1.0]], (300, 1))
    e = EpsilonGreedy(DISCRETE, framework=framework, initial_epsilon=1.0, final_epsilon=1.0)
    acts, _ = run(e, dist(framework, "cat", q), 0)
    assert set(acts) == {0, 2}


def test_epsilon_greedy_torch_one_row_at_a_time():
    """The sampler's case: one row per call, thousands of calls (the torch path reads its draws
    from a pool of torch uniforms, refilled as it runs out): the non-greedy frequency matches
    epsilon, a masked action is never drawn, actions are int64 tensors, and torch's seed fixes
    the sequence."""
    import torch

    q = dist("torch", "cat", [[0.0, np.finfo(np.float32).min, 1.0]])

    def actions(seed, n):
        torch.manual_seed(seed)
        e = EpsilonGreedy(DISCRETE, framework="torch", initial_epsilon=0.4, final_epsilon=0.4)
        out = [run_torch(e, q) for _ in range(n)]
        assert all(a.dtype == torch.int64 and a.shape == (1,) for a in out)
        return np.concatenate([a.numpy() for a in out])

    def run_torch(e, d):
        return e.get_exploration_action(action_distribution=d, timestep=0, explore=True)[0]

    acts = actions(0, 6000)  # > UNIFORM_POOL draws: the pool is refilled on the way
    assert set(acts) == {0, 2}
    assert (acts == 0).mean() == pytest.approx(0.2, abs=0.03)  # epsilon / 2 allowed actions
    np.testing.assert_array_equal(actions(0, 500), acts[:500])
    assert not np.array_equal(actions(1, 500), acts[:500])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_random(framework):
    acts, logp = run(Random(DISCRETE, framework=framework), dist(framework, "cat", Q), 0)
    assert set(acts) == {0, 1, 2} and (logp == 0).all()
    acts, _ = run(Random(BOX, framework=framework), dist(framework, "det", np.zeros((200, 2))), 0)
    assert acts.shape == (200, 2) and acts.min() >= -1 and acts.max() <= 1 and acts.std() > 0.3


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_gaussian_noise(framework):
    mean = np.full((500, 2), 0.5, np.float32)
    e = GaussianNoise(BOX, framework=framework, random_timesteps=10, stddev=0.1, initial_scale=1.0,
                      final_scale=0.0, scale_timesteps=100)
    acts, _ = run(e, dist(framework, "det", mean), 0)  # random phase
    assert acts.min() < 0 and acts.std() > 0.3
    acts, logp = run(e, dist(framework, "det", mean), 10)
    assert acts.std() == pytest.approx(0.1, rel=0.2) and acts.max() <= 1.0 and (logp == 0).all()
    acts, _ = run(e, dist(framework, "det", mean), 1000)
    np.testing.assert_allclose(acts, mean)
    np.testing.assert_allclose(run(e, dist(framework, "det", mean), 10, explore=False)[0], mean)
    assert e.get_state()["cur_scale"] == pytest.approx(1.0)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_ou_noise_is_correlated_and_round_trips(framework):
    mean = np.zeros((1, 2), np.float32)
    e = OrnsteinUhlenbeckNoise(BOX, framework=framework, random_timesteps=0, ou_base_scale=1.0, ou_sigma=0.2,
                               scale_timesteps=10**6)
    acts = np.stack([run(e, dist(framework, "det", mean), t)[0][0] for t in range(300)])
    lag1 = np.corrcoef(acts[:-1, 0], acts[1:, 0])[0, 1]
    assert lag1 > 0.5 and np.abs(acts).max() <= 1.0
    state = e.get_state()
    f = OrnsteinUhlenbeckNoise(BOX, framework=framework, random_timesteps=0, scale_timesteps=10**6)
    f.set_state(state)
    assert f.get_state() == state and len(state["ou_state"]) == 2


@pytest.mark.parametrize("config,error", [
    ({"type": "NoSuch"}, "NoSuch"),
    ({"type": "EpsilonGreedy", "bogus": 1}, "bogus"),
    ({"type": 3}, "type"),
    ({"type": "collections.OrderedDict"}, "Exploration subclass"),
])
def test_from_config_errors(config, error):
    with pytest.raises((ValueError, TypeError), match=error):
        from_config(config, action_space=DISCRETE, framework="torch")


def test_from_config_by_class_and_dotted_path_and_space_checks():
    assert type(from_config({"type": Random}, action_space=DISCRETE, framework="torch")) is Random
    e = from_config({"type": "rlcore.policy.exploration.gaussian_noise.GaussianNoise"}, action_space=BOX,
                    framework="tf")
    assert type(e) is GaussianNoise and e.framework == "tf2"
    with pytest.raises(ValueError, match="Discrete"):
        EpsilonGreedy(BOX, framework="torch")
    with pytest.raises(ValueError, match="Box"):
        GaussianNoise(DISCRETE, framework="torch")
    with pytest.raises(ValueError, match="framework='jax'"):
        Exploration(DISCRETE, framework="jax")


@pytest.mark.parametrize("worker_index,num_workers,expected", [
    (0, 0, None), (0, 4, 0.0), (1, 1, 0.4), (1, 4, 0.4), (4, 4, 0.4**8),
])
def test_per_worker_epsilon(worker_index, num_workers, expected):
    from rlcore.policy.exploration import PerWorkerEpsilonGreedy

    e = PerWorkerEpsilonGreedy(DISCRETE, framework="torch", worker_index=worker_index, num_workers=num_workers,
                               initial_epsilon=1.0, final_epsilon=0.1, epsilon_timesteps=10)
    if expected is None:
        assert e.epsilon_schedule.value(0) == 1.0 and e.epsilon_schedule.value(10) == pytest.approx(0.1)
    else:
        assert e.epsilon_schedule.value(0) == pytest.approx(expected)
        assert e.epsilon_schedule.value(10**6) == pytest.approx(expected)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_per_worker_noise_on_the_local_worker_is_zero(framework):
    from rlcore.policy.exploration import PerWorkerGaussianNoise, PerWorkerOrnsteinUhlenbeckNoise

    mean = np.full((50, 2), 0.25, np.float32)
    for cls in (PerWorkerGaussianNoise, PerWorkerOrnsteinUhlenbeckNoise):
        local = cls(BOX, framework=framework, worker_index=0, num_workers=2, random_timesteps=0)
        np.testing.assert_allclose(run(local, dist(framework, "det", mean), 5)[0], mean)
        remote = cls(BOX, framework=framework, worker_index=1, num_workers=2, random_timesteps=0)
        assert np.abs(run(remote, dist(framework, "det", mean), 5)[0] - mean).max() > 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_soft_q_temperature(framework):
    from rlcore.policy.exploration import SoftQ

    q = np.tile([[0.0, 1.0, 0.5]], (2000, 1))
    hot, _ = run(SoftQ(DISCRETE, framework=framework, temperature=100.0), dist(framework, "cat", q), 0)
    cold, _ = run(SoftQ(DISCRETE, framework=framework, temperature=0.05), dist(framework, "cat", q), 0)
    assert abs((hot == 1).mean() - 1 / 3) < 0.06 and (cold == 1).mean() > 0.99
    assert (run(SoftQ(DISCRETE, framework=framework), dist(framework, "cat", q), 0, explore=False)[0] == 1).all()
    with pytest.raises(ValueError, match="temperature"):
        SoftQ(DISCRETE, framework=framework, temperature=0.0)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_policies_call_the_exploration_loss_and_postprocessing_hooks(framework):
    from rlcore.policy.exploration import register_exploration
    from tests.rlcore.policy.conftest import OBS_SPACE, SMALL_MODEL, fixed_batch, tf_pg_loss, torch_pg_loss

    seen = []

    @register_exploration
    class Recording(StochasticSampling):
        def get_exploration_loss(self, policy_loss, train_batch):
            seen.append("loss")
            return policy_loss * 1.0

        def postprocess_trajectory(self, policy, sample_batch, tf_sess=None):
            seen.append("postprocess")
            return sample_batch

    if framework == "torch":
        from rlcore.policy.torch_policy_template import build_torch_policy as build
        loss = torch_pg_loss
    else:
        from rlcore.policy.tf_policy_template import build_tf_policy as build
        loss = tf_pg_loss
    p = build("Rec", loss_fn=loss)(OBS_SPACE, gym.spaces.Discrete(2),
                                   {"model": SMALL_MODEL, "exploration_config": {"type": "Recording"}})
    seen.clear()
    batch = p.postprocess_trajectory(fixed_batch(8))
    p.learn_on_batch(batch)
    assert seen == ["postprocess", "loss"]

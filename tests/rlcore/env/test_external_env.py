"""ExternalEnv / ExternalMultiAgentEnv (RLlib 1.x): applications that run their own loop and ask
for actions, sampled by rollout workers and trained by trainers."""

import threading

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data import MultiAgentBatch, SampleBatch
from rlcore.env import ExternalEnv, ExternalMultiAgentEnv, convert_to_base_env
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling.rollout_worker import RolloutWorker

OBS = gym.spaces.Box(-10, 10, (4,), np.float32)


class CartPoleServing(ExternalEnv):
    """RLlib 1.x's canonical example: the application plays CartPole and asks for each action."""

    def __init__(self, config=None, log_every=0, training_enabled=True, episodes=None):
        super().__init__(gym.spaces.Discrete(2), OBS)
        self.log_every, self.training_enabled, self.episodes = log_every, training_enabled, episodes
        self.logged = []

    def run(self):
        env = gym.make("CartPole-v1")
        n = 0
        while self.episodes is None or n < self.episodes:
            eid = self.start_episode(training_enabled=self.training_enabled)
            obs, _ = env.reset(seed=n)
            n += 1
            done, t = False, 0
            while not done:
                if self.log_every and t % self.log_every == 0:
                    action = int(t % 2)
                    self.logged.append(action)
                    self.log_action(eid, obs, action)
                else:
                    action = self.get_action(eid, obs)
                obs, reward, term, trunc, info = env.step(action)
                self.log_returns(eid, reward, info)
                done, t = term or trunc, t + 1
            self.end_episode(eid, obs)


@pytest.fixture
def workers():
    """A list the test appends its rollout workers to; each is stopped at teardown, so that no
    application thread outlives its test (a run() left waiting in get_action would raise its
    no-action TimeoutError a minute later, inside whichever test runs then)."""
    made = []
    yield made
    for w in made:
        w.stop()
        app = w.env.external_env
        app.join(10)
        assert not app.is_alive(), f"{type(app).__name__}'s run() thread still runs after the worker stopped"


def _worker(workers, env_fn, **kwargs):
    kwargs.setdefault("rollout_fragment_length", 200)
    w = RolloutWorker(env_creator=lambda ctx: env_fn(), policy_spec=RandomPolicy, seed=0, **kwargs)
    workers.append(w)
    return w


def test_episodes_of_an_application_become_rows(workers):
    w = _worker(workers, CartPoleServing, batch_mode="complete_episodes")
    batch = w.sample()
    assert isinstance(batch, SampleBatch) and batch.count >= 200
    ends = np.flatnonzero(batch["dones"])
    assert len(ends) >= 2 and ends[-1] == batch.count - 1  # whole episodes
    metrics = w.get_metrics()
    assert len(metrics) == len(ends)
    assert [m.episode_length for m in metrics] == np.diff(np.concatenate([[-1], ends])).tolist()
    assert all(m.episode_reward == m.episode_length for m in metrics)  # CartPole: 1 per step
    app = w.env.external_env
    assert isinstance(app, CartPoleServing) and app.is_alive()
    w.stop()  # the application's waiting get_action raises ExternalEnvStopped: run() ends quietly
    app.join(10)
    assert not app.is_alive() and app.error is None


def test_logged_actions_are_recorded(workers):
    w = _worker(workers, lambda: CartPoleServing(log_every=1))  # every action chosen by the application
    batch = w.sample()
    assert batch["actions"].tolist() == w.env.external_env.logged[:batch.count]


def test_episodes_without_training_are_counted_not_trained(workers):
    w = _worker(workers, lambda: CartPoleServing(training_enabled=False), rollout_fragment_length=100)
    batch = w.sample()
    assert isinstance(batch, SampleBatch) and batch.count == 0
    assert len(w.get_metrics()) >= 1  # the episodes were played and are reported


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread's own traceback
def test_an_error_in_run_stops_sampling_with_its_cause(workers):
    class Broken(ExternalEnv):
        def run(self):
            self.start_episode("e1")
            raise KeyError("simulator lost")

    w = _worker(workers, lambda: Broken(gym.spaces.Discrete(2), OBS))
    with pytest.raises(RuntimeError, match=r"run\(\) thread has stopped \(KeyError: 'simulator lost'\)") as info:
        w.sample()
    assert isinstance(info.value.__cause__, KeyError)


def test_episode_bookkeeping_errors():
    release = threading.Event()
    errors = []

    class Strict(ExternalEnv):
        def run(self):
            for call in (lambda: self.start_episode("a"), lambda: self.start_episode("a"),
                         lambda: self.start_episode("b"), lambda: self.log_returns("zzz", 1.0)):
                try:
                    call()
                except ValueError as err:
                    errors.append(str(err))
            release.set()

    env = Strict(gym.spaces.Discrete(2), OBS, max_concurrent=1)
    env.start()
    assert release.wait(10)
    assert errors == ["episode a is already started",
                      "Strict: max_concurrent=1 episodes are running; end one before starting episode b (were some "
                      "never ended?)",
                      "episode zzz not found (start it with start_episode)"]
    with pytest.raises(ValueError, match="an ExternalEnv is one env"):
        convert_to_base_env(env, num_envs=2)
    with pytest.raises(ValueError, match="max_concurrent=0"):
        Strict(gym.spaces.Discrete(2), OBS, max_concurrent=0)


def test_an_external_env_must_define_run():
    with pytest.raises(TypeError, match="run"):
        ExternalEnv(gym.spaces.Discrete(2), OBS)


class TwoPlayers(ExternalMultiAgentEnv):
    """Two agents per episode; "b" ends one step early; 4 steps."""

    def __init__(self):
        super().__init__(gym.spaces.Discrete(2), gym.spaces.Box(0, 10, (1,), np.float32))

    def run(self):
        while True:
            eid = self.start_episode()
            agents = ["a", "b"]
            for t in range(4):
                actions = self.get_action(eid, {ag: np.float32([t]) for ag in agents})
                assert set(actions) == set(agents)
                self.log_returns(eid, {ag: 1.0 for ag in agents},
                                 multiagent_done_dict={"b": t == 2} if "b" in agents else None)
                if t == 2:
                    agents = ["a"]
            self.end_episode(eid, {"a": np.float32([4])})


def test_multi_agent_external_env_with_two_policies(workers):
    spec = {"pa": (RandomPolicy, None, None, {}), "pb": (RandomPolicy, None, None, {})}
    w = RolloutWorker(env_creator=lambda ctx: TwoPlayers(), policy_spec=spec, policy_mapping_fn=lambda a: "p" + a,
                      rollout_fragment_length=20, batch_mode="complete_episodes")
    workers.append(w)
    batch = w.sample()
    assert isinstance(batch, MultiAgentBatch)
    a, b = batch.policy_batches["pa"], batch.policy_batches["pb"]
    assert a.count == 4 * (b.count // 3) and b.count % 3 == 0  # "a" acts 4 times an episode, "b" 3 times
    assert b["terminateds"].reshape(-1, 3)[:, -1].all() and a["dones"].reshape(-1, 4)[:, -1].all()


def test_ppo_trains_from_an_external_application():
    from rlcore.algorithms.ppo import PPOTrainer

    for framework in ("torch", "tf2"):
        trainer = PPOTrainer(config={"env": CartPoleServing, "framework": framework, "num_workers": 0,
                                     "train_batch_size": 400, "rollout_fragment_length": 200,
                                     "sgd_minibatch_size": 200, "num_sgd_iter": 2, "seed": 0})
        result = trainer.train()
        trainer.stop()
        assert result["timesteps_total"] >= 400 and result["episodes_this_iter"] > 0
        assert np.isfinite(result["info"]["learner"]["default_policy"]["total_loss"])

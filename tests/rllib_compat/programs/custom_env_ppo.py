"""A custom env, a custom model and custom callbacks, trained by ``tune.run("PPO", ...)``.

Written the way an RLlib 1.x user wrote such a script (1.2-1.4): the env follows the old gym API
(``reset() -> obs``, ``step() -> (obs, reward, done, info)``) and reads its ``EnvContext``; the
model is registered with ``ModelCatalog.register_custom_model`` and named in ``custom_model``;
the callbacks subclass ``DefaultCallbacks`` and report custom metrics; the trained agent is then
restored from Tune's last checkpoint and plays one episode. Only the imports differ from 1.x:
``ray.rllib`` is ``rllib_compat`` and ``gym`` is ``gymnasium`` (gym is not installed).

Run it as 1.x examples ran::

    python tests/rllib_compat/programs/custom_env_ppo.py --framework torch
"""

import argparse
import os
import tempfile

import gymnasium as gym
import numpy as np
from gymnasium.spaces import Box, Discrete

import ray
from ray import tune
from rllib_compat.agents.callbacks import DefaultCallbacks
from rllib_compat.agents.ppo import PPOTrainer
from rllib_compat.env.env_context import EnvContext
from rllib_compat.models import ModelCatalog
from rllib_compat.models.tf.misc import normc_initializer
from rllib_compat.models.tf.tf_modelv2 import TFModelV2
from rllib_compat.models.torch.misc import SlimFC
from rllib_compat.models.torch.misc import normc_initializer as torch_normc_initializer
from rllib_compat.models.torch.torch_modelv2 import TorchModelV2
from rllib_compat.utils.framework import try_import_tf, try_import_torch

tf1, tf, tfv = try_import_tf()
torch, nn = try_import_torch()


class GoalLine(gym.Env):
    """Walk right along a line of ``length`` cells; the far end is the goal.

    Every step costs 0.1 and reaching the goal pays 1. The episode also ends after
    ``max_steps`` steps. The observation is the position and the fraction of steps left.
    """

    def __init__(self, config: EnvContext):
        self.length = config["length"]
        self.max_steps = config.get("max_steps", 3 * self.length)
        self.action_space = Discrete(2)  # 0: step left, 1: step right
        self.observation_space = Box(np.array([0.0, 0.0], dtype=np.float32),
                                     np.array([self.length, 1.0], dtype=np.float32), dtype=np.float32)
        # Each worker walks a slightly different line start, as 1.x examples seeded by worker_index.
        self.start = config.worker_index % 2
        self.position, self.steps = self.start, 0

    def reset(self):
        self.position, self.steps = self.start, 0
        return self._observation()

    def step(self, action):
        self.steps += 1
        self.position = max(0, self.position + (1 if action == 1 else -1))
        at_goal = self.position >= self.length
        done = at_goal or self.steps >= self.max_steps
        reward = 1.0 if at_goal else -0.1
        return self._observation(), reward, done, {"at_goal": at_goal}

    def _observation(self):
        return np.array([self.position, 1.0 - self.steps / self.max_steps], dtype=np.float32)


class GoalLineKerasModel(TFModelV2):
    """A Keras policy and value network with its own layer names."""

    def __init__(self, obs_space, action_space, num_outputs, model_config, name):
        super(GoalLineKerasModel, self).__init__(obs_space, action_space, num_outputs, model_config, name)
        hidden = model_config["custom_model_config"].get("hidden", 32)
        self.inputs = tf.keras.layers.Input(shape=obs_space.shape, name="goal_line_obs")
        features = tf.keras.layers.Dense(hidden, name="goal_line_hidden", activation=tf.nn.tanh,
                                         kernel_initializer=normc_initializer(1.0))(self.inputs)
        logits = tf.keras.layers.Dense(num_outputs, name="goal_line_logits", activation=None,
                                       kernel_initializer=normc_initializer(0.01))(features)
        value = tf.keras.layers.Dense(1, name="goal_line_value", activation=None,
                                      kernel_initializer=normc_initializer(0.01))(features)
        self.base_model = tf.keras.Model(self.inputs, [logits, value])
        self.register_variables(self.base_model.variables)
        self.forward_calls = 0

    def forward(self, input_dict, state, seq_lens):
        self.forward_calls += 1
        logits, self._value_out = self.base_model(input_dict["obs"])
        return logits, state

    def value_function(self):
        return tf.reshape(self._value_out, [-1])


class GoalLineTorchModel(TorchModelV2, nn.Module):
    """The same network in torch, with its own submodule names."""

    def __init__(self, obs_space, action_space, num_outputs, model_config, name):
        TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
        nn.Module.__init__(self)
        hidden = model_config["custom_model_config"].get("hidden", 32)
        in_size = int(np.prod(obs_space.shape))
        self.goal_line_hidden = SlimFC(in_size, hidden, initializer=torch_normc_initializer(1.0),
                                       activation_fn=nn.Tanh)
        self.goal_line_logits = SlimFC(hidden, num_outputs, initializer=torch_normc_initializer(0.01))
        self.goal_line_value = SlimFC(hidden, 1, initializer=torch_normc_initializer(0.01))
        self._features = None
        self.forward_calls = 0

    def forward(self, input_dict, state, seq_lens):
        self.forward_calls += 1
        self._features = self.goal_line_hidden(input_dict["obs"].float())
        return self.goal_line_logits(self._features), state

    def value_function(self):
        assert self._features is not None, "must call forward() first"
        return torch.reshape(self.goal_line_value(self._features), [-1])


class GoalLineCallbacks(DefaultCallbacks):
    """Tracks how far each episode got and whether it reached the goal."""

    def on_episode_start(self, *, worker, base_env, policies, episode, env_index, **kwargs):
        assert episode.length == 0, "on_episode_start runs before the first step"
        episode.user_data["positions"] = []
        episode.hist_data["positions"] = []

    def on_episode_step(self, *, worker, base_env, episode, env_index, **kwargs):
        assert episode.length > 0, "on_episode_step runs after a step"
        position = episode.last_observation_for()[0]
        episode.user_data["positions"].append(float(position))

    def on_episode_end(self, *, worker, base_env, policies, episode, env_index, **kwargs):
        positions = episode.user_data["positions"]
        episode.custom_metrics["furthest_position"] = max(positions)
        episode.custom_metrics["reached_goal"] = float(episode.last_info_for()["at_goal"])
        episode.hist_data["positions"] = positions

    def on_postprocess_trajectory(self, *, worker, episode, agent_id, policy_id, policies,
                                  postprocessed_batch, original_batches, **kwargs):
        if "num_batches" not in episode.custom_metrics:
            episode.custom_metrics["num_batches"] = 0
        episode.custom_metrics["num_batches"] += 1

    def on_sample_end(self, *, worker, samples, **kwargs):
        assert samples.count > 0

    def on_train_result(self, *, trainer, result, **kwargs):
        result["callback_ok"] = True
        policy = trainer.get_policy()
        result["model_forward_calls"] = policy.model.forward_calls
        result["model_weight_names"] = sorted(policy.get_weights())


def make_config(framework):
    """The trainer config this program runs (also used to rebuild the agent from a checkpoint)."""
    return {
        "env": GoalLine,
        "env_config": {"length": 4},
        "model": {"custom_model": "goal_line_model", "custom_model_config": {"hidden": 16}, "vf_share_layers": True},
        "callbacks": GoalLineCallbacks,
        "num_workers": 0,
        "framework": framework,
        "seed": 7,
        "lr": 1e-3,
        "train_batch_size": 200,
        "rollout_fragment_length": 200,
        "sgd_minibatch_size": 50,
        "num_sgd_iter": 4,
    }


def main(framework, tmp_dir, stop_iters=2):
    """Trains PPO with the custom env, model and callbacks under Tune; returns Tune's analysis."""
    ModelCatalog.register_custom_model(
        "goal_line_model", GoalLineTorchModel if framework == "torch" else GoalLineKerasModel)
    config = make_config(framework)
    stop = {"training_iteration": stop_iters}
    return tune.run("PPO", config=config, stop=stop, storage_path=tmp_dir, checkpoint_at_end=True, verbose=0)


def play_best(analysis, framework):
    """Restores the best checkpoint of the run into a new agent and plays one greedy episode.

    Returns:
        ``(agent, episode_reward)``; stop the agent when done with it.
    """
    config = make_config(framework)
    trial = analysis.trials[0]
    agent = PPOTrainer(config=config)
    agent.restore(analysis.get_best_checkpoint(trial, metric="episode_reward_mean", mode="max"))
    env = GoalLine(EnvContext(config["env_config"], worker_index=0))
    obs, done, episode_reward = env.reset(), False, 0.0
    while not done:
        action = agent.compute_action(obs, explore=False)
        obs, reward, done, _ = env.step(action)
        episode_reward += reward
    return agent, episode_reward


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=["tf", "tf2", "tfe", "torch"], default="tf")
    parser.add_argument("--stop-iters", type=int, default=10)
    parser.add_argument("--local-dir", default=os.path.join(tempfile.gettempdir(), "goal_line_ppo"))
    args = parser.parse_args()

    ray.init()
    results = main(args.framework, args.local_dir, args.stop_iters)
    print("episode_reward_mean:", results.trials[0].last_result["episode_reward_mean"])
    trained, reward = play_best(results, args.framework)
    print("greedy episode of the best checkpoint:", reward)
    trained.stop()
    ray.shutdown()

"""Multi-agent PPO on an env that declares its agents' spaces: the policies do not repeat them.

Written the way an RLlib 1.x user wrote a multi-agent script (1.2-1.4): a ``MultiAgentEnv``
subclass with the 1.x API (``reset() -> obs dict``, ``step() -> (obs, rewards, dones, infos)``
with ``dones["__all__"]``) that sets ``observation_space`` and ``action_space`` (one space shared
by every agent), two policies given as ``(None, None, None, overrides)`` (the trainer's default
policy class, the env's spaces), a ``policy_mapping_fn(agent_id)``, and a callback that reports
each policy's spaces and each agent's episode length. Tune runs ``"PPO"``. Only the imports differ
from 1.x: ``ray.rllib`` is ``rllib_compat`` and ``gym`` is ``gymnasium`` (gym is not installed).

Run it as 1.x examples ran::

    python tests/rllib_compat/programs/multi_agent_declared_spaces.py --framework torch
"""

import argparse
import os
import tempfile

import gymnasium as gym

import ray
from ray import tune
from rllib_compat.agents.callbacks import DefaultCallbacks
from rllib_compat.env.multi_agent_env import MultiAgentEnv

POLICIES = ("pole_even", "pole_odd")


class PoleTeam(MultiAgentEnv):
    """``num_agents`` agents, each balancing its own pole; an agent is done when its pole falls.

    The episode ends when every agent is done. Agent ids are ``"pole_0"``, ``"pole_1"``, ...
    """

    def __init__(self, config):
        self.agents = [gym.make("CartPole-v1", max_episode_steps=config.get("max_steps", 100))
                       for _ in range(config["num_agents"])]
        self.observation_space = self.agents[0].observation_space
        self.action_space = self.agents[0].action_space
        self.dones = set()

    def reset(self):
        self.dones = set()
        return {f"pole_{i}": agent.reset()[0] for i, agent in enumerate(self.agents)}

    def step(self, action_dict):
        obs, rewards, dones, infos = {}, {}, {}, {}
        for agent_id, action in action_dict.items():
            index = int(agent_id.split("_")[1])
            obs[agent_id], rewards[agent_id], terminated, truncated, infos[agent_id] = \
                self.agents[index].step(action)
            dones[agent_id] = terminated or truncated
            if dones[agent_id]:
                self.dones.add(agent_id)
        dones["__all__"] = len(self.dones) == len(self.agents)
        return obs, rewards, dones, infos


def policy_mapping_fn(agent_id):
    return POLICIES[int(agent_id.split("_")[1]) % 2]


class PoleTeamCallbacks(DefaultCallbacks):
    """Reports the longest and shortest-lived pole of each episode and the policies' spaces."""

    def on_episode_end(self, *, worker, base_env, policies, episode, env_index, **kwargs):
        # CartPole pays 1 per step: an agent's total reward is the number of steps it balanced.
        steps = {agent_id: reward for (agent_id, policy_id), reward in episode.agent_rewards.items()}
        episode.custom_metrics["longest_pole"] = max(steps.values())
        episode.custom_metrics["shortest_pole"] = min(steps.values())
        episode.custom_metrics["num_agents"] = len(steps)

    def on_train_result(self, *, trainer, result, **kwargs):
        result["policy_spaces"] = {
            policy_id: [repr(trainer.get_policy(policy_id).observation_space),
                        repr(trainer.get_policy(policy_id).action_space)]
            for policy_id in POLICIES}


def main(framework, tmp_dir, stop_iters=2):
    """Trains the two policies with PPO under Tune; returns Tune's analysis."""
    config = {
        "env": PoleTeam,
        "env_config": {"num_agents": 3},
        "multiagent": {
            "policies": {
                "pole_even": (None, None, None, {"gamma": 0.95}),
                "pole_odd": (None, None, None, {}),
            },
            "policy_mapping_fn": policy_mapping_fn,
        },
        "callbacks": PoleTeamCallbacks,
        "framework": framework,
        "num_workers": 0,
        "seed": 11,
        "train_batch_size": 300,
        "rollout_fragment_length": 100,
        "sgd_minibatch_size": 100,
        "num_sgd_iter": 3,
        "model": {"fcnet_hiddens": [32]},
    }
    return tune.run("PPO", config=config, stop={"training_iteration": stop_iters}, storage_path=tmp_dir,
                    verbose=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=["tf", "tf2", "tfe", "torch"], default="tf")
    parser.add_argument("--stop-iters", type=int, default=10)
    parser.add_argument("--local-dir", default=os.path.join(tempfile.gettempdir(), "pole_team"))
    args = parser.parse_args()

    ray.init()
    results = main(args.framework, args.local_dir, args.stop_iters)
    print("policy_reward_mean:", results.trials[0].last_result["policy_reward_mean"])
    ray.shutdown()

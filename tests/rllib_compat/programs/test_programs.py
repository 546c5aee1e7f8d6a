"""Three RLlib 1.x programs (this folder) run unmodified on rlcore, in torch and TF2 (issue #12,
done-when 2): each ``main(framework, tmp_dir)`` runs as the 1.x script's ``__main__`` would, under
real Ray Tune, and its results must carry what 1.x reported."""

import contextlib
import importlib.util
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent
FRAMEWORKS = ["torch", "tf2"]
RESULT_KEYS_1X = {"episode_reward_mean", "episode_reward_min", "episode_reward_max", "episode_len_mean",
                  "episodes_this_iter", "episodes_total", "timesteps_total", "training_iteration",
                  "custom_metrics", "hist_stats", "info", "timers", "time_this_iter_s", "policy_reward_mean"}


def load_program(name):
    """The program module, under a name of its own (the programs folder is not a package)."""
    module_name = f"rllib_1x_programs_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, PROGRAMS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


@contextlib.contextmanager
def pickled_by_value(ray, name):
    """The program module, its classes pickled by value meanwhile: Tune's trainable actor cannot import it."""
    module = load_program(name)
    ray.cloudpickle.register_pickle_by_value(module)
    try:
        yield module
    finally:
        ray.cloudpickle.unregister_pickle_by_value(module)


@pytest.fixture
def programs(ray_session):
    """``programs(name) -> module``, pickled by value for the test (see :func:`pickled_by_value`).

    Function-scoped (loading is cached in ``sys.modules``): the tests of different programs share
    no instance, so ``make test`` may run them on different pytest-xdist workers.
    """
    with contextlib.ExitStack() as stack:
        loaded = {}

        def load(name):
            if name not in loaded:
                loaded[name] = stack.enter_context(pickled_by_value(ray_session, name))
            return loaded[name]

        yield load


def only_result(analysis):
    """The last result of the run's one trial, which must have finished and carry 1.x's keys."""
    [trial] = analysis.trials
    assert trial.status == "TERMINATED", trial.error_file
    result = trial.last_result
    assert RESULT_KEYS_1X <= set(result), sorted(RESULT_KEYS_1X - set(result))
    assert result["training_iteration"] == 2
    return result


# ---------------------------------------------------------------- custom env, model, callbacks, PPO

@pytest.fixture(scope="module", params=FRAMEWORKS)
def custom_env_run(request, ray_session, tmp_path_factory):
    """One ``tune.run("PPO", ...)`` of custom_env_ppo.py per framework, shared by the tests below
    (one instance per framework: the two frameworks' runs may go to different workers)."""
    with pickled_by_value(ray_session, "custom_env_ppo") as program:
        analysis = program.main(request.param, str(tmp_path_factory.mktemp(f"custom_env_{request.param}")))
        yield program, request.param, analysis


@pytest.mark.ray
def test_custom_env_model_and_callbacks_under_tune_run_ppo(custom_env_run):
    program, framework, analysis = custom_env_run
    result = only_result(analysis)
    assert result["timesteps_total"] == 400
    assert result["config"]["framework"] == framework
    # The callbacks ran: episode custom metrics summarized 1.x's way, histograms, on_train_result.
    custom = result["custom_metrics"]
    for name in ("furthest_position", "reached_goal", "num_batches"):
        assert {f"{name}_mean", f"{name}_min", f"{name}_max"} <= set(custom), sorted(custom)
    assert 1 <= custom["furthest_position_min"] <= custom["furthest_position_max"] <= 4
    assert 0 <= custom["reached_goal_mean"] <= 1 and custom["num_batches_min"] >= 1
    assert len(result["hist_stats"]["positions"]) >= result["episodes_this_iter"]
    assert result["callback_ok"] is True
    # The custom model ran (its forward counter) and its layers are the policy's weights.
    assert result["model_forward_calls"] > 0
    for layer in ("goal_line_hidden", "goal_line_logits", "goal_line_value"):
        assert any(layer in name for name in result["model_weight_names"]), result["model_weight_names"]
    assert "default_policy" in result["info"]["learner"]


@pytest.mark.ray
def test_the_best_checkpoint_restores_into_a_new_agent(custom_env_run):
    program, framework, analysis = custom_env_run
    agent, greedy_reward = program.play_best(analysis, framework)
    try:
        model_class = program.GoalLineTorchModel if framework == "torch" else program.GoalLineKerasModel
        assert isinstance(agent.get_policy().model, model_class)
        assert agent.iteration == 2
        # 12 steps without the goal: -1.2; straight to the goal (4 steps): 3 * -0.1 + 1 = 0.7.
        assert -1.2 - 1e-6 <= greedy_reward <= 0.7 + 1e-6
    finally:
        agent.stop()


# ---------------------------------------------------------------- build_trainer with an execution plan

@pytest.mark.ray
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_build_trainer_with_a_custom_execution_plan(programs, framework, tmp_path):
    result = only_result(programs("build_trainer_plan").main(framework, str(tmp_path)))
    assert result["num_healthy_workers"] == 1
    assert result["config"]["standardize_returns"] is True and result["config"]["framework"] == framework
    # complete_episodes and ConcatBatches(min_batch_size=400): each iteration trains on >= 400 steps.
    assert result["timesteps_total"] >= 800 and result["info"]["num_steps_trained"] >= 800
    # The plan's own step reached the result: its counter and info value in "info", its timer in "timers".
    assert result["info"]["episodes_seen_by_plan"] >= result["episodes_total"] > 0
    assert result["info"]["last_sampled_batch_size"] >= 200
    assert result["timers"]["count_episodes_time_ms"] >= 0
    # The custom policy learned: its stats_fn's value (returns standardized first: mean ~0).
    stats = result["info"]["learner"]["default_policy"]
    assert abs(stats["mean_return"]) < 1e-3, stats


# ---------------------------------------------------------------- multi-agent, spaces from the env

@pytest.mark.ray
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_multi_agent_policies_take_the_spaces_the_env_declares(programs, framework, tmp_path):
    program = programs("multi_agent_declared_spaces")
    result = only_result(program.main(framework, str(tmp_path)))
    assert result["timesteps_total"] >= 600
    # The policies were given no spaces: they were built with the ones the env declares.
    env = program.PoleTeam({"num_agents": 3})
    declared = [repr(env.observation_space), repr(env.action_space)]
    assert result["policy_spaces"] == {"pole_even": declared, "pole_odd": declared}
    assert result["config"]["multiagent"]["policies"] == {"pole_even": (None, None, None, {"gamma": 0.95}),
                                                          "pole_odd": (None, None, None, {})}
    # Per-policy stats, as 1.x reported them.
    for key in ("policy_reward_mean", "policy_reward_min", "policy_reward_max"):
        assert set(result[key]) == {"pole_even", "pole_odd"}, (key, result[key])
    learner = result["info"]["learner"]
    assert {"pole_even", "pole_odd"} <= set(learner)
    assert {"policy_pole_even_reward", "policy_pole_odd_reward"} <= set(result["hist_stats"])
    # 1.x's per-policy rewards are per agent; each agent earns 1 per step it balances, so they agree
    # with the callback's per-episode longest and shortest poles, and the longest pole is the episode.
    custom = result["custom_metrics"]
    assert custom["num_agents_mean"] == 3
    assert max(result["policy_reward_max"].values()) == custom["longest_pole_max"] <= 100
    assert min(result["policy_reward_min"].values()) == custom["shortest_pole_min"] >= 1
    assert custom["longest_pole_mean"] == pytest.approx(result["episode_len_mean"])

"""Every RLlib 1.x DQN option combination trains: dueling x double_q x n_step x prioritized_replay x noisy
x num_atoms > 1, all 64 of them, each for 2 iterations in torch and in TF2; explorations too.

TF2 runs the combinations in traced mode (``eager_tracing``) where every pair of option values
meets at least once (:data:`TRACED`, a pairwise covering set, and everything on at once); the
other combinations run in TF2 eager mode: the same loss and action code without tracing every
combination's graphs, which was most of the module's time.

Each combination runs as cheaply as a real training can: 8 env steps per iteration in fragments of
4 (>= n_step), learning from the 4th step on with batches of 8, so both iterations sample, store,
replay and take gradient steps (a handful, not dozens).
"""

import itertools
import math

import pytest

OPTIONS = ("dueling", "double_q", "n_step", "prioritized_replay", "noisy", "num_atoms")
VALUES = ((False, True), (False, True), (1, 3), (False, True), (False, True), (1, 11))
COMBOS = list(itertools.product(*VALUES))
#: The combinations TF2 runs traced: rows of a pairwise covering array (the weight-3 columns of six
#: rows, any two of which hold all four value pairs), and every option on.
TRACED = [tuple(values[bit] for values, bit in zip(VALUES, row)) for row in (
    (0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 1, 1), (0, 1, 1, 1, 0, 0), (1, 0, 1, 1, 0, 1), (1, 1, 0, 1, 1, 0),
    (1, 1, 1, 0, 1, 1), (1, 1, 1, 1, 1, 1))]
#: The smallest real training of a combination: two fragments of 4 steps per iteration, learning from step 4.
CHEAP = dict(timesteps_per_iteration=8, learning_starts=4, rollout_fragment_length=4, train_batch_size=8)
RUNS = [("torch", False, c) for c in COMBOS] + [("tf2", c in TRACED, c) for c in COMBOS]


def _ids(c):
    names = ("duel", "double", "n", "prio", "noisy", "atoms")
    return "-".join(f"{n}{int(v)}" for n, v in zip(names, c))


def _run_id(run):
    framework, traced, combo = run
    mode = ("-traced" if traced else "-eager") if framework == "tf2" else ""
    return f"{framework}{mode}-{_ids(combo)}"


def test_the_traced_combinations_hold_every_pair_of_option_values():
    for (i, first), (j, second) in itertools.combinations(enumerate(VALUES), 2):
        pairs = {(combo[i], combo[j]) for combo in TRACED}
        assert pairs == set(itertools.product(first, second)), (OPTIONS[i], OPTIONS[j], pairs)
    assert set(TRACED) <= set(COMBOS)


@pytest.mark.parametrize("framework, traced, combo", RUNS, ids=[_run_id(r) for r in RUNS])
def test_option_combination_trains_two_iterations(framework, traced, combo, tiny_config):
    from rlcore.algorithms.dqn import DQNTrainer

    dueling, double_q, n_step, prioritized, noisy, num_atoms = combo
    config = tiny_config(framework, hiddens=[16], dueling=dueling, double_q=double_q, n_step=n_step,
                         prioritized_replay=prioritized, noisy=noisy, num_atoms=num_atoms, v_min=-5.0, v_max=5.0,
                         eager_tracing=traced, **CHEAP)
    trainer = DQNTrainer(config=config)
    try:
        trained = []
        for _ in range(2):
            result = trainer.train()
            trained.append(result["info"]["num_steps_trained"])
    finally:
        trainer.stop()
    stats = result["info"]["learner"]["default_policy"]
    assert 0 < trained[0] < trained[1]  # both iterations took gradient steps
    assert math.isfinite(stats["mean_td_error"]) and math.isfinite(stats["mean_q"])
    assert "td_error" not in stats  # a fetch, not a reported statistic
    assert trainer.config["rollout_fragment_length"] >= n_step


@pytest.mark.parametrize("framework", ["torch", "tf2"])
@pytest.mark.parametrize("exploration", [{"type": "SoftQ", "temperature": 0.5},
                                         {"type": "ParameterNoise", "random_timesteps": 8, "initial_stddev": 0.2},
                                         {"type": "EpsilonGreedy", "epsilon_timesteps": 10}])
def test_explorations_train(framework, exploration, tiny_config):
    from rlcore.algorithms.dqn import DQNTrainer

    trainer = DQNTrainer(config=tiny_config(framework, hiddens=[16], exploration_config=exploration))
    try:
        result = trainer.train()
        state = trainer.get_policy().exploration.get_state()
    finally:
        trainer.stop()
    assert result["info"]["num_steps_trained"] > 0
    if exploration["type"] == "ParameterNoise":
        assert trainer.config["batch_mode"] == "complete_episodes"
        assert state["cur_stddev"] != pytest.approx(0.2)  # adapted after the trajectories
    if exploration["type"] == "EpsilonGreedy":
        # annealed to DQN's final_epsilon (the default exploration_config's keys merge in: same type)
        assert state["cur_epsilon"] == pytest.approx(0.02)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_simple_q_trains_two_iterations(framework, tiny_config):
    from rlcore.algorithms.dqn import SimpleQTrainer

    trainer = SimpleQTrainer(config=tiny_config(framework))
    try:
        for _ in range(2):
            result = trainer.train()
    finally:
        trainer.stop()
    assert result["info"]["num_steps_trained"] > 0
    assert math.isfinite(result["info"]["learner"]["default_policy"]["mean_td_error"])

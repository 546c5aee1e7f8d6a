"""DQN's and SimpleQ's plans: their shape, the round-robin ratio from training_intensity, priority
updates read back through the buffer's API, the target network, before_learn_on_batch,
worker-side prioritization, beta annealing."""

import numpy as np
import pytest


def _trainer(cls_name, framework, tiny_config, **overrides):
    from rlcore.algorithms import dqn

    extra = {"hiddens": [16]} if cls_name == "DQNTrainer" else {}
    extra.update(overrides)
    return getattr(dqn, cls_name)(config=tiny_config(framework, **extra))


def test_plan_describes_itself(tiny_config):
    trainer = _trainer("DQNTrainer", "torch", tiny_config)
    try:
        text = repr(trainer.train_exec_impl)
    finally:
        trainer.stop()
    assert "parallel_rollouts[bulk_sync, local]" in text and "replay[local_buffer]" in text
    assert text.startswith("LocalIterator[LocalUnion[")


@pytest.mark.parametrize("intensity, ratio", [(None, 2), (16, 16)])
def test_training_intensity_sets_steps_replayed_per_step_sampled(intensity, ratio, tiny_config):
    # train_batch_size 8, rollout_fragment_length 4: natural ratio 2; 16 gives round-robin weights [1, 8]
    trainer = _trainer("DQNTrainer", "torch", tiny_config, training_intensity=intensity, learning_starts=0,
                       timesteps_per_iteration=64)
    try:
        info = trainer.train()["info"]
    finally:
        trainer.stop()
    sampled, trained = info["num_steps_sampled"], info["num_steps_trained"]
    assert abs(trained - ratio * sampled) <= ratio * 4, (sampled, trained)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_priorities_after_a_learn_step_are_td_errors_plus_eps_to_the_alpha(framework, tiny_config):
    from rlcore.algorithms.dqn import UpdatePriorities

    trainer = _trainer("DQNTrainer", framework, tiny_config, prioritized_replay_alpha=0.7,
                       prioritized_replay_eps=0.01)
    try:
        trainer.train()
        buf = trainer.local_replay_buffer
        batch = buf.replay()
        info = trainer.workers.local_worker().learn_on_batch(batch)
        UpdatePriorities(buf)((batch, info))
        idx = batch.policy_batches["default_policy"]["batch_indexes"]
        td = info["default_policy"]["td_error"]
        prios = buf.replay_buffers["default_policy"].priorities(idx)
    finally:
        trainer.stop()
    assert len(td) == len(idx) == 8
    np.testing.assert_allclose(prios ** 0.7, (np.abs(td) + 0.01) ** 0.7, rtol=1e-5)


def test_update_priorities_needs_td_errors():
    from rlcore.algorithms.dqn import UpdatePriorities
    from rlcore.data import SampleBatch

    batch = SampleBatch({"batch_indexes": np.arange(3)}).as_multi_agent()
    with pytest.raises(ValueError, match="policy 'default_policy' reported no 'td_error'"):
        UpdatePriorities(object())((batch, {"default_policy": {"learner_stats": {}}}))


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_target_network_follows_only_update_target(framework, tiny_config):
    trainer = _trainer("DQNTrainer", framework, tiny_config, target_network_update_freq=10 ** 6)
    try:
        policy = trainer.get_policy()
        target_before = _weights(policy.target_model, framework)
        assert _close(target_before, _weights(policy.model, framework))  # equal after init
        trainer.train()
        assert _close(target_before, _weights(policy.target_model, framework))  # not updated
        assert not _close(target_before, _weights(policy.model, framework))  # the model learned
        policy.update_target()
        assert _close(_weights(policy.target_model, framework), _weights(policy.model, framework))
    finally:
        trainer.stop()


def test_target_updates_are_counted(tiny_config):
    trainer = _trainer("SimpleQTrainer", "torch", tiny_config, target_network_update_freq=16,
                       timesteps_per_iteration=64)
    try:
        info = trainer.train()["info"]
    finally:
        trainer.stop()
    assert info["num_target_updates"] >= 2 and info["last_target_update_ts"] > 16


def _weights(model, framework):
    if framework == "torch":
        return [p.detach().numpy().copy() for p in model.parameters()]
    return [np.asarray(v.numpy()).copy() for v in model.variables()]


def _close(a, b):
    return len(a) == len(b) and all(np.allclose(x, y) for x, y in zip(a, b))


def test_before_learn_on_batch_sees_every_replayed_batch(tiny_config):
    seen = []

    def hook(batch, workers, config):
        seen.append((batch.count, workers is not None, config["train_batch_size"]))
        return batch

    trainer = _trainer("DQNTrainer", "torch", tiny_config, before_learn_on_batch=hook)
    try:
        info = trainer.train()["info"]
    finally:
        trainer.stop()
    assert seen and all(s == (8, True, 8) for s in seen)
    assert len(seen) * 8 == info["num_steps_trained"]


@pytest.mark.parametrize("worker_side", [True, False])
def test_worker_side_prioritization_stores_initial_priorities(tiny_config, worker_side):
    # One iteration ends at the first learn step (at 64 stored rows), so all but the rows that step
    # updated keep the priority they were stored with: |td| + eps from the worker (distinct per row)
    # with worker_side_prioritization, else the buffer's max priority (one value).
    trainer = _trainer("DQNTrainer", "torch", tiny_config, worker_side_prioritization=worker_side, learning_starts=64,
                       prioritized_replay_alpha=1.0)
    try:
        trainer.train()
        buf = trainer.local_replay_buffer.replay_buffers["default_policy"]
        prios = buf.priorities(buf.live_slots())
        updated = buf.stats(debug=True)["num_priority_updates"]
    finally:
        trainer.stop()
    assert len(prios) >= 64 and np.all(prios > 0) and 0 < updated <= 16
    if worker_side:
        assert len(np.unique(prios)) > updated + 1  # |td| + eps per row, not one shared initial value
    else:
        assert len(np.unique(prios)) <= updated + 1


def test_beta_is_annealed_over_the_sampled_steps(tiny_config):
    trainer = _trainer("DQNTrainer", "torch", tiny_config, prioritized_replay_beta=0.4,
                       final_prioritized_replay_beta=1.0, prioritized_replay_beta_annealing_timesteps=64,
                       timesteps_per_iteration=32)
    try:
        trainer.train()
        mid = trainer.local_replay_buffer.beta
        trainer.train()
        trainer.train()
        end = trainer.local_replay_buffer.beta
    finally:
        trainer.stop()
    assert 0.4 < mid < 1.0 and end == pytest.approx(1.0)


def test_simple_q_replays_uniformly(tiny_config):
    trainer = _trainer("SimpleQTrainer", "torch", tiny_config)
    try:
        trainer.train()
        buf = trainer.local_replay_buffer
        weights = buf.replay().policy_batches["default_policy"]["weights"]
    finally:
        trainer.stop()
    assert buf.alpha == 0.0 and np.all(weights == 1.0)

"""TFPolicy through build_tf_policy: the seed example, eager vs traced, state, SavedModel, hooks."""

import numpy as np
import pytest

from rlcore.framework import try_import_tf
from rlcore.policy.policy import LEARNER_STATS_KEY
from rlcore.policy.tf_policy import TFPolicy
from rlcore.policy.tf_policy_template import build_tf_policy
from tests.rlcore.policy.conftest import ACT_SPACE, OBS_SPACE, SMALL_MODEL, fixed_batch

tf1, tf, tfv = try_import_tf()


# The seed's example, as written (with tf from try_import_tf()).
def policy_gradient_loss(policy, model, dist_class, train_batch):
    logits, _ = model.from_batch(train_batch)
    action_dist = dist_class(logits, model)
    return -tf.reduce_mean(
        action_dist.logp(train_batch["actions"]) * train_batch["rewards"])


# <class 'ray.rllib.policy.tf_policy_template.MyTFPolicy'>
MyTFPolicy = build_tf_policy(
    name="MyTFPolicy",
    loss_fn=policy_gradient_loss)


def make(config=None, cls=MyTFPolicy):
    tf.random.set_seed(0)
    return cls(OBS_SPACE, ACT_SPACE, dict({"lr": 0.05, "model": SMALL_MODEL}, **(config or {})))


def loss_value(policy, batch):
    from rlcore.policy.train_batch import convert_columns

    return float(policy_gradient_loss(policy, policy.model, policy.dist_class,
                                      convert_columns(batch, tf.convert_to_tensor)))


@pytest.mark.parametrize("framework", ["tf", "tfe", "tf2"])
def test_tf_names_all_map_to_tf2(framework):
    p = make({"framework": framework})
    assert isinstance(p, TFPolicy) and p.config["framework"] == "tf2"


@pytest.mark.parametrize("eager_tracing", [False, True])
def test_seed_policy_computes_actions_and_lowers_its_loss(eager_tracing, batch):
    p = make({"eager_tracing": eager_tracing})
    actions, state_out, extra = p.compute_actions(batch["obs"][:8])
    assert actions.shape == (8,) and state_out == []
    assert set(extra) == {"action_prob", "action_logp", "action_dist_inputs", "vf_preds"}
    before = loss_value(p, batch)
    for _ in range(20):
        out = p.learn_on_batch(batch)
    assert LEARNER_STATS_KEY in out
    assert loss_value(p, batch) < before - 0.1


def test_eager_tracing_matches_eager_and_does_not_retrace(batch):
    eager, traced = make(), make({"eager_tracing": True})
    traced.set_weights(eager.get_weights())
    obs = batch["obs"][:16]
    for _ in range(2):
        a_e, _, x_e = eager.compute_actions(obs, explore=False)
        a_t, _, x_t = traced.compute_actions(obs, explore=False)
        np.testing.assert_array_equal(a_e, a_t)
        np.testing.assert_allclose(x_e["action_dist_inputs"], x_t["action_dist_inputs"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(x_e["vf_preds"], x_t["vf_preds"], rtol=1e-5, atol=1e-6)
    s_e = eager.learn_on_batch(batch)
    s_t = traced.learn_on_batch(batch)
    assert s_e.keys() == s_t.keys()
    for k, v in eager.get_weights().items():
        np.testing.assert_allclose(v, traced.get_weights()[k], rtol=1e-4, atol=1e-6)
    counts = dict(traced.trace_counts)
    for _ in range(5):
        traced.compute_actions(obs, explore=False)
        traced.compute_actions(obs)  # explore=True: its own trace, once
        traced.learn_on_batch(batch)
    after_first = dict(traced.trace_counts)
    for _ in range(5):
        traced.compute_actions(obs, explore=False)
        traced.compute_actions(obs, timestep=1000)
        traced.learn_on_batch(batch)
    assert traced.trace_counts == after_first
    assert after_first["compute_actions"] <= counts["compute_actions"] + 1
    assert after_first["learn"] == counts["learn"]
    # Eager mode runs the Python body on every call.
    n = eager.trace_counts["compute_actions"]
    eager.compute_actions(obs)
    assert eager.trace_counts["compute_actions"] == n + 1


@pytest.mark.parametrize("eager_tracing", [False, True])
def test_traced_losses_run_without_autograph_as_in_rllib_1x(eager_tracing, batch):
    # RLlib 1.x traced with tf.function(autograph=False): a loss branching in Python on a
    # tensor's value works eagerly, and traced it is an error (AutoGraph would have made it a
    # tf.cond); branching on Python values works either way.
    def branching_loss(policy, model, dist_class, train_batch):
        loss = policy_gradient_loss(policy, model, dist_class, train_batch)
        if policy.config["lr"] > 0:  # a Python value: fine when traced
            loss = loss * 1.0
        if tf.reduce_sum(train_batch["rewards"]) > 0:  # a tensor's value
            return loss
        return -loss

    p = make({"eager_tracing": eager_tracing}, cls=MyTFPolicy.with_updates(name="Branching", loss_fn=branching_loss))
    if eager_tracing:
        with pytest.raises(TypeError, match="(?i)graph"):  # OperatorNotAllowedInGraphError is a TypeError
            p.learn_on_batch(batch)
    else:
        assert LEARNER_STATS_KEY in p.learn_on_batch(batch)


def test_state_round_trip_gives_identical_actions(tmp_path, batch):
    p = make({"eager_tracing": True})
    for _ in range(3):
        p.learn_on_batch(batch)
    p.on_global_var_update({"timestep": 77})
    from rlcore.policy.policy_state import packb, unpackb

    weights = unpackb(packb(p.get_weights()))  # msgpack-able, exactly
    assert weights.keys() == p.get_weights().keys()
    for k, v in p.get_weights().items():
        np.testing.assert_array_equal(weights[k], v)
    path = p.export_checkpoint(str(tmp_path))
    q = make()
    q.import_checkpoint(path)
    assert q.global_timestep == 77
    obs = fixed_batch(32, seed=3)["obs"]
    np.testing.assert_array_equal(p.compute_actions(obs, explore=False)[0], q.compute_actions(obs, explore=False)[0])
    p.learn_on_batch(batch)
    q.learn_on_batch(batch)
    for k, v in p.get_weights().items():
        np.testing.assert_allclose(v, q.get_weights()[k], rtol=1e-4, atol=1e-6)


def test_export_model_writes_loadable_saved_model(tmp_path):
    p = make()
    p.export_model(str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    obs = fixed_batch(5)["obs"]
    out = loaded.serve(tf.constant(obs))["outputs"].numpy()
    np.testing.assert_allclose(out, p.compute_actions(obs)[2]["action_dist_inputs"], rtol=1e-5, atol=1e-6)


def test_compute_then_apply_gradients_equals_learn_on_batch(batch):
    a, b = make(), make()
    b.set_weights(a.get_weights())
    grads, _ = a.compute_gradients(batch)
    assert all(isinstance(g, np.ndarray) for g in grads)
    a.apply_gradients(grads)
    b.learn_on_batch(batch)
    for k, v in a.get_weights().items():
        np.testing.assert_allclose(v, b.get_weights()[k], rtol=1e-5, atol=1e-6)


def test_tf_hooks(batch):
    seen = {}

    def gradients_fn(policy, optimizer, loss):
        seen["gradients"] = True
        return optimizer.compute_gradients(loss, policy.model.trainable_variables())

    def apply_gradients_fn(policy, optimizer, grads_and_vars):
        seen["apply"] = True
        return optimizer.apply_gradients(grads_and_vars)

    def grad_stats_fn(policy, train_batch, grads):
        return {"n_grads": len(grads)}

    def stats_fn(policy, train_batch):
        return {"mean_reward": tf.reduce_mean(train_batch["rewards"])}

    def extra_action_out_fn(policy):
        return {"vf_double": policy.model.value_function() * 2}

    P = MyTFPolicy.with_updates(name="Hooked", gradients_fn=gradients_fn, apply_gradients_fn=apply_gradients_fn,
                                grad_stats_fn=grad_stats_fn, stats_fn=stats_fn,
                                extra_action_out_fn=extra_action_out_fn)
    p = make({"eager_tracing": True, "grad_clip": 0.5}, cls=P)
    _, _, extra = p.compute_actions(batch["obs"][:4])
    np.testing.assert_allclose(extra["vf_double"], extra["vf_preds"] * 2, rtol=1e-6)
    stats = p.learn_on_batch(batch)[LEARNER_STATS_KEY]
    assert seen == {"gradients": True, "apply": True}
    assert stats["n_grads"] == len(p.model.trainable_variables())
    assert stats["mean_reward"] == pytest.approx(float(batch["rewards"].mean()), rel=1e-6)


def test_default_gradients_clip_and_report_gnorm(batch):
    p = make({"grad_clip": 1e-3})
    stats = p.learn_on_batch(batch)[LEARNER_STATS_KEY]
    assert stats["grad_gnorm"] > 1e-3
    grads, _ = p.compute_gradients(batch)
    assert np.sqrt(sum(float((g**2).sum()) for g in grads)) <= 1e-3 + 1e-6


@pytest.mark.parametrize("eager_tracing", [False, True])
def test_epsilon_greedy_follows_global_timestep(eager_tracing):
    p = make({"eager_tracing": eager_tracing,
              "exploration_config": {"type": "EpsilonGreedy", "initial_epsilon": 1.0, "final_epsilon": 0.0,
                                     "epsilon_timesteps": 100}})
    obs = fixed_batch(64)["obs"]
    greedy = p.compute_actions(obs, explore=False)[0]
    p.on_global_var_update({"timestep": 500})
    np.testing.assert_array_equal(p.compute_actions(obs)[0], greedy)
    p.on_global_var_update({"timestep": 0})
    assert (p.compute_actions(obs)[0] != greedy).any()


def test_custom_model_and_action_dist_by_name():
    from rlcore.models.catalog import ModelCatalog
    from rlcore.models.tf.fcnet import FullyConnectedNetwork
    from rlcore.models.tf.tf_action_dist import Categorical

    class TFTiny(FullyConnectedNetwork):
        pass

    class TFHalfCategorical(Categorical):
        pass

    ModelCatalog.register_custom_model("c2_tf_tiny", TFTiny)
    ModelCatalog.register_custom_action_dist("c2_tf_half_cat", TFHalfCategorical)
    p = make({"model": {"custom_model": "c2_tf_tiny", "custom_action_dist": "c2_tf_half_cat", "fcnet_hiddens": [8]}})
    assert type(p.model).__name__ == "TFTiny"
    assert p.dist_class is TFHalfCategorical or issubclass(p.dist_class, TFHalfCategorical)
    with pytest.raises(ValueError, match="c2_tf_tiny"):
        make({"model": {"custom_model": "no_such_tf_model"}})


@pytest.mark.parametrize("eager_tracing", [False, True])
def test_box_actions_with_gaussian_noise_exploration(eager_tracing):
    import gymnasium as gym

    space = gym.spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
    p = MyTFPolicy(OBS_SPACE, space, {"eager_tracing": eager_tracing, "model": SMALL_MODEL,
                                      "exploration_config": {"type": "GaussianNoise", "random_timesteps": 0,
                                                             "stddev": 0.5, "scale_timesteps": 10}})
    obs = fixed_batch(64)["obs"]
    det, _, _ = p.compute_actions(obs, explore=False)
    noisy, _, _ = p.compute_actions(obs, timestep=0)  # the noise scale decays with timesteps (64 passed)
    assert noisy.shape == (64, 2) and np.abs(noisy).max() <= 1.0
    assert np.abs(noisy - det).mean() > 0.1
    np.testing.assert_array_equal(p.compute_actions(obs, explore=False)[0], det)


def test_compute_actions_from_input_dict():
    p = make()
    obs = fixed_batch(4)["obs"]
    a1, _, e1 = p.compute_actions_from_input_dict({"obs": obs}, explore=False)
    a2, _, e2 = p.compute_actions(obs, explore=False)
    np.testing.assert_array_equal(a1, a2)


def test_learning_rate_schedule_mixin_sets_the_keras_learning_rate():
    from rlcore.policy.tf_policy import LearningRateSchedule

    def before_init(policy, obs_space, action_space, config):
        LearningRateSchedule.__init__(policy, config["lr"], [[0, 0.1], [100, 0.0]])

    P = MyTFPolicy.with_updates(name="LRTF", mixins=[LearningRateSchedule], before_init=before_init)
    p = make({"lr": 0.1}, cls=P)
    p.on_global_var_update({"timestep": 50})
    assert p.global_timestep == 50 and p.get_session() is None
    assert float(p._optimizer.learning_rate.numpy()) == pytest.approx(0.05)


def test_custom_gradients_fn_may_take_several_gradients_from_the_tape(batch):
    def loss_fn(policy, model, dist_class, train_batch):
        logits, _ = model.from_batch(train_batch)
        policy.pi_loss = -tf.reduce_mean(dist_class(logits, model).logp(train_batch["actions"]) * train_batch["rewards"])
        policy.vf_loss = tf.reduce_mean(tf.square(model.value_function() - train_batch["rewards"]))
        return [policy.pi_loss, policy.vf_loss]

    def gradients_fn(policy, optimizer, losses):
        variables = policy.model.trainable_variables()
        g_pi = optimizer.tape.gradient(policy.pi_loss, variables)
        g_vf = optimizer.tape.gradient(losses[1], variables)
        return [((a if a is not None else b) if (a is None or b is None) else a + b, v)
                for a, b, v in zip(g_pi, g_vf, variables) if a is not None or b is not None]

    for tracing in (False, True):
        p = make({"eager_tracing": tracing}, cls=MyTFPolicy.with_updates(name="TwoLoss", loss_fn=loss_fn,
                                                                          gradients_fn=gradients_fn))
        before = p.get_weights()
        p.learn_on_batch(batch)
        after = p.get_weights()
        assert any(not np.allclose(before[k], after[k]) for k in before if "value" in k)
        assert any(not np.allclose(before[k], after[k]) for k in before if "value" not in k)
    with pytest.raises(ValueError, match="gradients_fn"):
        make(cls=MyTFPolicy.with_updates(name="TwoLossNoGrads", loss_fn=loss_fn))


def test_entropy_coeff_schedule_reaches_a_traced_loss(batch):
    from rlcore.policy.tf_policy import EntropyCoeffSchedule

    def loss_fn(policy, model, dist_class, train_batch):
        logits, _ = model.from_batch(train_batch)
        policy.seen_coeff = policy.entropy_coeff * 1.0
        return -tf.reduce_mean(dist_class(logits, model).entropy()) * policy.entropy_coeff

    def before_init(policy, obs_space, action_space, config):
        EntropyCoeffSchedule.__init__(policy, 0.5, [[0, 0.5], [100, 0.0]])

    P = MyTFPolicy.with_updates(name="Ent", loss_fn=loss_fn, mixins=[EntropyCoeffSchedule], before_init=before_init,
                                stats_fn=lambda policy, b: {"coeff": policy.seen_coeff})
    p = make({"eager_tracing": True}, cls=P)
    assert p.learn_on_batch(batch)[LEARNER_STATS_KEY]["coeff"] == pytest.approx(0.5)
    p.on_global_var_update({"timestep": 50})
    assert p.learn_on_batch(batch)[LEARNER_STATS_KEY]["coeff"] == pytest.approx(0.25)


@pytest.mark.parametrize("eager_tracing", [False, True])
def test_learn_feeds_only_the_columns_the_loss_reads(eager_tracing, batch):
    """After its first run the learn step gets only the columns its code read (RLlib's
    UsageTrackingDict); a column read by a stats_fn stays."""
    seen = []

    def stats(policy, train_batch):
        seen.append(sorted(k for k in ("eps_id", "t", "rewards") if dict.__contains__(train_batch, k)))
        return {"mean_t": tf.reduce_mean(tf.cast(train_batch["t"], tf.float32))}

    p = make({"eager_tracing": eager_tracing}, cls=MyTFPolicy.with_updates(stats_fn=stats))
    batch = dict(batch, eps_id=np.zeros(len(batch["obs"]), np.int64), t=np.arange(len(batch["obs"])))
    first = p.learn_on_batch(batch)
    assert {"obs", "actions", "rewards", "t"} <= p._loss_columns and "eps_id" not in p._loss_columns
    second = p.learn_on_batch(batch)
    assert seen[0] == ["eps_id", "rewards", "t"] and seen[-1] == ["rewards", "t"]  # eps_id no longer fed
    assert second[LEARNER_STATS_KEY]["mean_t"] == first[LEARNER_STATS_KEY]["mean_t"]


def test_a_loss_that_reads_the_whole_batch_gets_every_column(batch):
    def iterating_loss(policy, model, dist_class, train_batch):
        assert {"obs", "actions", "rewards"} <= set(train_batch.keys())
        return policy_gradient_loss(policy, model, dist_class, train_batch)

    p = make({"eager_tracing": True}, cls=MyTFPolicy.with_updates(loss_fn=iterating_loss))
    p.learn_on_batch(batch)
    assert p._loss_uses_every_column and p._loss_columns is None

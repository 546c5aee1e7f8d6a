"""DQN's math against float64 references written here: the C51 projection (torch and TF), the
n-step adjustment (native kernel and its twin, through the policies' postprocessing), the Huber loss."""

import numpy as np
import pytest

from rlcore.algorithms.dqn.common import adjust_nstep, postprocess_nstep_and_prio


def _projection_reference(rewards, dones, probs, z, gamma_n, v_min, v_max):
    """C51's categorical projection, atom by atom, in float64."""
    n, atoms = probs.shape
    dz = (v_max - v_min) / (atoms - 1)
    m = np.zeros((n, atoms))
    for i in range(n):
        for j in range(atoms):
            tz = min(v_max, max(v_min, rewards[i] + gamma_n * (1.0 - dones[i]) * z[j]))
            b = (tz - v_min) / dz
            lo, hi = int(np.floor(b)), int(np.ceil(b))
            if lo == hi:
                m[i, lo] += probs[i, j]
            else:
                m[i, lo] += probs[i, j] * (hi - b)
                m[i, hi] += probs[i, j] * (b - lo)
    return m


def _projection_case(seed=0, n=64, atoms=11, v_min=-3.0, v_max=5.0):
    rng = np.random.default_rng(seed)
    z = np.linspace(v_min, v_max, atoms)
    logits = rng.normal(size=(n, atoms))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    rewards = rng.uniform(-4, 6, n)
    rewards[:4] = [0.0, 1.0, -3.0, 100.0]  # exact atoms (lower == upper) and clipping
    dones = (rng.random(n) < 0.3).astype(np.float64)
    return rewards, dones, probs, z, 0.9 ** 3, v_min, v_max


def test_projection_torch_matches_the_float64_reference():
    import torch

    from rlcore.algorithms.dqn.dqn_torch_policy import project_distribution

    r, d, p, z, g, lo, hi = _projection_case()
    out = project_distribution(torch.tensor(r), torch.tensor(d), torch.tensor(p), torch.tensor(z), g, lo, hi)
    ref = _projection_reference(r, d, p, z, g, lo, hi)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(ref.sum(1), 1.0)  # mass is conserved


def test_projection_tf_matches_the_float64_reference():
    import tensorflow as tf

    from rlcore.algorithms.dqn.dqn_tf_policy import project_distribution

    r, d, p, z, g, lo, hi = _projection_case(seed=1)
    out = project_distribution(tf.constant(r), tf.constant(d), tf.constant(p), tf.constant(z), g, lo, hi)
    np.testing.assert_allclose(out.numpy(), _projection_reference(r, d, p, z, g, lo, hi), atol=1e-12)


def _nstep_reference(n_step, gamma, rewards, new_obs, dones, seg_lens):
    """RLlib 1.x's n-step rule per fragment, in float64: sums stop after a done row or the fragment's end."""
    out_r, out_obs, out_d = [], [], []
    start = 0
    for length in seg_lens:
        for i in range(start, start + length):
            total, j = 0.0, 0
            while True:
                total += gamma ** j * rewards[i + j]
                if dones[i + j] or j + 1 == n_step or i + j + 1 == start + length:
                    break
                j += 1
            out_r.append(total)
            out_obs.append(new_obs[i + j])
            out_d.append(dones[i + j])
        start += length
    return np.array(out_r), np.array(out_obs), np.array(out_d)


@pytest.mark.parametrize("n_step", [1, 2, 3, 5])
def test_nstep_adjustment_matches_the_float64_reference(impl, monkeypatch, n_step):
    rng = np.random.default_rng(n_step)
    seg_lens = [7, 1, 12, 5]
    n = sum(seg_lens)
    rewards = rng.normal(size=n).astype(np.float32)
    dones = np.zeros(n, bool)
    ends = np.cumsum(seg_lens) - 1
    dones[ends[[0, 2]]] = True  # two fragments end their episode, two are cut
    new_obs = rng.normal(size=(n, 3)).astype(np.float32)
    batch = {"rewards": rewards.copy(), "new_obs": new_obs.copy(), "dones": dones.copy(),
             "terminateds": dones.copy()}
    import rlcore._backend

    monkeypatch.setattr(rlcore._backend, "adjust_nstep", impl.adjust_nstep)
    adjust_nstep(n_step, 0.9, batch, seg_lens)
    r_ref, obs_ref, d_ref = _nstep_reference(n_step, 0.9, rewards.astype(np.float64), new_obs, dones, seg_lens)
    np.testing.assert_allclose(batch["rewards"], r_ref, rtol=1e-6)
    np.testing.assert_array_equal(batch["new_obs"], obs_ref)
    np.testing.assert_array_equal(batch["dones"], d_ref)
    np.testing.assert_array_equal(batch["terminateds"], d_ref)


def test_postprocessing_adds_unit_weights_and_batches_fragments_like_one_by_one():
    class P:
        config = {"n_step": 3, "gamma": 0.5, "worker_side_prioritization": False}

    rng = np.random.default_rng(0)
    cols = {"rewards": rng.normal(size=10).astype(np.float32), "new_obs": np.arange(10.0)[:, None],
            "dones": np.array([0, 0, 0, 1, 0, 0, 0, 0, 0, 1], bool)}
    whole = postprocess_nstep_and_prio(P(), {k: v.copy() for k, v in cols.items()}, seg_lens=[4, 6])
    parts = [postprocess_nstep_and_prio(P(), {k: v[s].copy() for k, v in cols.items()})
             for s in (slice(0, 4), slice(4, 10))]
    np.testing.assert_array_equal(whole["weights"], np.ones(10, np.float32))
    for key in ("rewards", "new_obs", "dones"):
        np.testing.assert_array_equal(whole[key], np.concatenate([p[key] for p in parts]))


def test_huber_loss_in_both_frameworks():
    import tensorflow as tf
    import torch

    from rlcore.algorithms.dqn import dqn_tf_policy, dqn_torch_policy

    x = np.array([-2.5, -1.0, -0.3, 0.0, 0.7, 4.0])
    ref = np.where(np.abs(x) < 1.0, 0.5 * x ** 2, np.abs(x) - 0.5)
    np.testing.assert_allclose(dqn_torch_policy.huber_loss(torch.tensor(x)).numpy(), ref)
    np.testing.assert_allclose(dqn_tf_policy.huber_loss(tf.constant(x)).numpy(), ref)


@pytest.mark.parametrize("double_q", [False, True])
def test_torch_q_loss_and_its_gradient_match_the_float64_reference(double_q):
    """The loss's TD errors and loss against float64 ones computed from the policy's own Q-values
    (target: the target net's max, or its value at the online argmax with double Q; bootstrap
    masked by ``terminateds``), and the gradient equal to that of ``mean(w * huber_loss(td))``."""
    import gymnasium as gym
    import torch

    from rlcore.algorithms.dqn import DQNTorchPolicy
    from rlcore.algorithms.dqn.dqn_torch_policy import build_q_losses, huber_loss
    from rlcore.data import SampleBatch

    obs_space, act_space = gym.spaces.Box(-2.0, 2.0, (4,), np.float32), gym.spaces.Discrete(3)
    policy = DQNTorchPolicy(obs_space, act_space, {"framework": "torch", "hiddens": [8], "dueling": False,
                                                   "double_q": double_q, "gamma": 0.9, "n_step": 1,
                                                   "model": {"fcnet_hiddens": [16]}})
    rng = np.random.default_rng(3)
    n = 40
    cols = {"obs": rng.uniform(-1, 1, (n, 4)).astype(np.float32), "actions": rng.integers(0, 3, n),
            "rewards": rng.normal(size=n).astype(np.float32), "new_obs": rng.uniform(-1, 1, (n, 4)).astype(np.float32),
            "terminateds": rng.random(n) < 0.3, "dones": np.ones(n, bool),
            "weights": rng.uniform(0.2, 1.0, n).astype(np.float32)}
    with torch.no_grad():  # perturb the target net so that it differs from the online one
        for p in policy.target_model.parameters():
            p.add_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
    batch = policy._prepare_train_batch(SampleBatch(cols))

    def q(model, x):
        with torch.no_grad():
            out, _ = model({"obs": torch.from_numpy(x)}, [], None)
            return model.get_q_value_distributions(out)[0].double().numpy()

    q_t, q_tp1 = q(policy.model, cols["obs"]), q(policy.target_model, cols["new_obs"])
    best = q(policy.model, cols["new_obs"]).argmax(1) if double_q else q_tp1.argmax(1)
    target = cols["rewards"] + 0.9 * (1.0 - cols["terminateds"]) * q_tp1[np.arange(n), best]
    td_ref = q_t[np.arange(n), cols["actions"]] - target
    huber_ref = np.where(np.abs(td_ref) < 1.0, 0.5 * td_ref ** 2, np.abs(td_ref) - 0.5)

    policy.model.zero_grad()
    loss = build_q_losses(policy, policy.model, None, batch)
    loss.backward()
    grads = [p.grad.clone() for p in policy.model.parameters() if p.grad is not None]
    np.testing.assert_allclose(policy._td_error.numpy(), td_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(float(loss.detach()), np.mean(cols["weights"] * huber_ref), rtol=1e-5, atol=1e-6)

    policy.model.zero_grad()  # the same loss written with huber_loss of the TD error
    out, _ = policy.model({"obs": batch["obs"]}, [], None)
    q_sel = policy.model.get_q_value_distributions(out)[0].gather(1, batch["actions"][:, None]).squeeze(1)
    td = q_sel - torch.from_numpy(target.astype(np.float32))
    torch.mean(batch["weights"] * huber_loss(td)).backward()
    for g, p in zip(grads, [p for p in policy.model.parameters() if p.grad is not None]):
        torch.testing.assert_close(g, p.grad, rtol=1e-5, atol=1e-6)


def test_reduce_mean_ignore_inf_acting_shortcut_is_bitwise_the_masked_mean():
    """Without masked actions and without autograd (acting), the mean is the plain sum over the
    count: bitwise what the masked formula gives; masked rows and the loss keep the formula."""
    import torch

    from rlcore.algorithms.dqn.dqn_torch_policy import FLOAT_MIN, reduce_mean_ignore_inf

    def masked_mean(x, axis):
        valid = x > FLOAT_MIN / 2
        return torch.sum(torch.where(valid, x, torch.zeros_like(x)), axis) / torch.clamp(
            torch.sum(valid.to(x.dtype), axis), min=1.0)

    gen = torch.Generator().manual_seed(0)
    for shape in [(1, 2), (8, 2), (64, 6), (500, 18), (3, 7)]:
        for scale in (1e-3, 1.0, 1e3):
            x = torch.randn(shape, generator=gen) * scale
            with torch.inference_mode():
                assert torch.equal(reduce_mean_ignore_inf(x, 1), masked_mean(x, 1))
    x = torch.tensor([[1.0, FLOAT_MIN, 4.0], [2.0, 3.0, 7.0]])
    assert reduce_mean_ignore_inf(x, 1).tolist() == [2.5, 4.0]
    w = torch.tensor([[1.0, 2.0, 6.0]], requires_grad=True)
    reduce_mean_ignore_inf(w, 1).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.full((1, 3), 1 / 3), rtol=1e-6)

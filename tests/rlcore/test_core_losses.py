"""Loss kernels: native vs numpy twin, and both against torch autograd through the plain formulas."""

import numpy as np
import pytest
import torch

from rlcore import _reference

COEFFS = dict(clip_param=0.2, kl_coeff=0.3, entropy_coeff=0.05, vf_loss_coeff=0.5, vf_clip_param=0.4)


def ppo_inputs(seed, n=64, k=3, critic=True, weights=False):
    """Random inputs where every branch happens: clipped and unclipped ratios, ties inside the
    clip range, clipped and unclipped value errors."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1, (n, k)).astype(np.float32)
    logits_old = (logits + rng.normal(0, 0.4, (n, k))).astype(np.float32)
    actions = rng.integers(0, k, n).astype(np.int64)
    lse_old = np.log(np.exp(logits_old.astype(np.float64)).sum(1))
    logp_old = (logits_old[np.arange(n), actions] - lse_old).astype(np.float32)
    vf_preds = rng.normal(0, 1, n).astype(np.float32)
    inputs = dict(logits=logits, logits_old=logits_old, actions=actions, logp_old=logp_old,
                  advantages=rng.normal(0, 1, n).astype(np.float32),
                  values=(vf_preds + rng.normal(0, 0.6, n)).astype(np.float32) if critic else None,
                  vf_preds=vf_preds if critic else None,
                  value_targets=rng.normal(0, 1, n).astype(np.float32) if critic else None, weights=None)
    if weights:
        w = (rng.random(n) < 0.7).astype(np.float32)
        inputs["weights"] = (w / w.sum()).astype(np.float32)
    return inputs


def call(impl, inputs, **coeffs):
    return impl.ppo_categorical_loss(**inputs, **{**COEFFS, **coeffs})


def autograd_reference(inputs, clip_param, kl_coeff, entropy_coeff, vf_loss_coeff, vf_clip_param):
    """RLlib 1.x's PPO loss in float64 torch ops; autograd gives the gradients."""
    z = torch.tensor(inputs["logits"], dtype=torch.float64, requires_grad=True)
    logp = torch.log_softmax(z, 1)
    logp_old_all = torch.log_softmax(torch.tensor(inputs["logits_old"], dtype=torch.float64), 1)
    actions = torch.tensor(inputs["actions"])
    ratio = torch.exp(logp.gather(1, actions[:, None]).squeeze(1) - torch.tensor(inputs["logp_old"], dtype=torch.float64))
    adv = torch.tensor(inputs["advantages"], dtype=torch.float64)
    surrogate = torch.min(adv * ratio, adv * torch.clamp(ratio, 1 - clip_param, 1 + clip_param))
    kl = (logp_old_all.exp() * (logp_old_all - logp)).sum(1)
    entropy = -(logp.exp() * logp).sum(1)
    per_row = kl_coeff * kl - surrogate - entropy_coeff * entropy
    v = vf_loss = None
    if inputs["values"] is not None:
        v = torch.tensor(inputs["values"], dtype=torch.float64, requires_grad=True)
        v_old = torch.tensor(inputs["vf_preds"], dtype=torch.float64)
        t = torch.tensor(inputs["value_targets"], dtype=torch.float64)
        clipped = v_old + torch.clamp(v - v_old, -vf_clip_param, vf_clip_param)
        vf_loss = torch.max((v - t) ** 2, (clipped - t) ** 2)
        per_row = per_row + vf_loss_coeff * vf_loss
    w = inputs["weights"]
    mean = (lambda x: x.mean()) if w is None else (lambda x: (x * torch.tensor(w, dtype=torch.float64)).sum())
    total = mean(per_row)
    total.backward()
    stats = [total.item(), -mean(surrogate).item(), 0.0 if vf_loss is None else mean(vf_loss).item(),
             mean(kl).item(), mean(entropy).item()]
    if v is not None:
        t64 = inputs["value_targets"].astype(np.float64)
        stats.append(max(-1.0, 1.0 - np.var(t64 - inputs["values"]) / np.var(t64)))
    else:
        stats.append(0.0)
    return np.array(stats), z.grad.numpy(), None if v is None else v.grad.numpy()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("critic,weights", [(True, False), (True, True), (False, False)])
def test_ppo_categorical_parity_and_autograd(impl, seed, critic, weights):
    inputs = ppo_inputs(seed, k=2 + seed, critic=critic, weights=weights)
    stats, grad_logits, grad_values = call(impl, inputs)
    twin = call(_reference, inputs)
    np.testing.assert_allclose(stats, twin[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad_logits, twin[1], rtol=1e-6, atol=1e-9)
    want_stats, want_gz, want_gv = autograd_reference(inputs, **COEFFS)
    np.testing.assert_allclose(stats, want_stats, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grad_logits, want_gz, rtol=1e-5, atol=1e-8)
    assert grad_logits.dtype == np.float32 and grad_logits.shape == inputs["logits"].shape
    if critic:
        np.testing.assert_allclose(grad_values, twin[2], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(grad_values, want_gv, rtol=1e-5, atol=1e-8)
    else:
        assert grad_values is None and twin[2] is None and stats[2] == stats[5] == 0.0


def test_every_branch_is_exercised():
    """The random inputs above hit clipped ratios on both sides, ties and clipped value errors."""
    inputs = ppo_inputs(0)
    lse = np.log(np.exp(inputs["logits"].astype(np.float64)).sum(1))
    ratio = np.exp(inputs["logits"][np.arange(64), inputs["actions"]] - lse - inputs["logp_old"])
    assert (ratio > 1.2).any() and (ratio < 0.8).any() and ((ratio >= 0.8) & (ratio <= 1.2)).any()
    assert (np.abs(inputs["values"] - inputs["vf_preds"]) > 0.4).any()


def test_ties_split_the_gradient_as_torch_does(impl):
    """A zero advantage makes both surrogate terms equal; equal value errors tie the max."""
    inputs = ppo_inputs(1, n=8, k=2)
    inputs["advantages"][:] = 0.0
    inputs["values"] = inputs["vf_preds"].copy()  # delta 0: both value errors equal
    coeffs = dict(COEFFS, kl_coeff=0.0, entropy_coeff=0.0)
    stats, grad_logits, grad_values = call(impl, inputs, **{k: coeffs[k] for k in ("kl_coeff", "entropy_coeff")})
    want = autograd_reference(inputs, **coeffs)
    np.testing.assert_allclose(grad_logits, want[1], atol=1e-9)
    np.testing.assert_allclose(grad_values, want[2], rtol=1e-6)


@pytest.mark.parametrize("change,error,message", [
    (dict(logits=np.zeros((4, 2))), TypeError, "logits must have dtype float32"),
    (dict(logits=np.zeros(4, np.float32)), ValueError, "logits must be 2-dimensional"),
    (dict(logits_old=np.zeros((4, 3), np.float32)), ValueError, "logits_old has shape (4, 3), expected (4, 2)"),
    (dict(actions=np.zeros(4, np.int32)), TypeError, "actions must have dtype int64"),
    (dict(actions=np.array([0, 1, 2, 0])), ValueError, "actions[2] = 2 is outside [0, 2)"),
    (dict(advantages=np.zeros(3, np.float32)), ValueError, "advantages has 3 rows, expected 4 (as logits)"),
    (dict(vf_preds=None), TypeError, "vf_preds must be a numpy array when values are given"),
    (dict(weights=np.ones(5, np.float32)), ValueError, "weights has 5 rows, expected 4"),
])
def test_ppo_categorical_errors_name_the_argument(impl, change, error, message):
    inputs = {**ppo_inputs(0, n=4, k=2), **change}
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        call(impl, inputs)


# --- boundary cases: each result is checked against the twin AND against a value written here -----


def _same(impl, inputs, **coeffs):
    """The kernel under test and the twin on the same inputs; they must agree. Returns the kernel's."""
    got, twin = call(impl, inputs, **coeffs), call(_reference, inputs, **coeffs)
    np.testing.assert_allclose(got[0], twin[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], twin[1], rtol=1e-6, atol=1e-9)
    assert (got[2] is None) == (twin[2] is None)
    if got[2] is not None:
        np.testing.assert_allclose(got[2], twin[2], rtol=1e-6, atol=1e-9)
    return got


def rows(logits, actions, logp_old, advantages, critic=None, weights=None):
    """Inputs with ``logits_old = logits``; ``critic`` is ``(values, vf_preds, value_targets)``."""
    f32 = lambda x: None if x is None else np.array(x, np.float32)  # noqa: E731
    values, vf_preds, targets = critic or (None, None, None)
    return dict(logits=f32(logits), logits_old=f32(logits), actions=np.array(actions, np.int64),
                logp_old=f32(logp_old), advantages=f32(advantages), values=f32(values), vf_preds=f32(vf_preds),
                value_targets=f32(targets), weights=f32(weights))


NO_REGULARIZERS = dict(kl_coeff=0.0, entropy_coeff=0.0)


@pytest.mark.parametrize("critic", [False, True])
@pytest.mark.parametrize("weights", [None, []])
def test_ppo_empty_batch(impl, critic, weights):
    inputs = rows(np.zeros((0, 3)), [], [], [], ([], [], []) if critic else None, weights)
    stats, grad_logits, grad_values = _same(impl, inputs)
    assert stats.tolist() == [0.0] * 6
    assert grad_logits.shape == (0, 3) and grad_logits.dtype == np.float32
    assert grad_values is None if not critic else grad_values.shape == (0,)


# logits [0, -40]: logsumexp is exactly 0 in double, so log p = [0, -40] exactly and a float32
# logp_old of 0 or -40 makes the ratio exactly 1; clip_param 0 puts it on both clip thresholds.
# Inside the closed clip range both surrogate terms are equal (a tie): d/d ratio = A, as torch's
# clamp (gradient 1 on [low, high]) and min (the half sum on a tie) give.
RATIO_ON_THRESHOLD = [
    # action, logp_old, advantage, expected grad_logits (kl = entropy = 0): -A * ratio * (onehot - p)
    (1, -40.0, 2.0, [2.0, -2.0]),
    (1, -40.0, -2.0, [-2.0, 2.0]),
    (0, 0.0, 2.0, [0.0, 0.0]),  # the likely action: onehot - p is ~4e-18
    (1, -40.0, 0.0, [0.0, 0.0]),  # A = 0: every ratio ties, no policy gradient
]


@pytest.mark.parametrize("action,logp_old,adv,want", RATIO_ON_THRESHOLD,
                         ids=[str(i) for i in range(len(RATIO_ON_THRESHOLD))])
def test_ppo_ratio_exactly_on_the_clip_thresholds(impl, action, logp_old, adv, want):
    inputs = rows([[0.0, -40.0]], [action], [logp_old], [adv])
    stats, grad_logits, _ = _same(impl, inputs, clip_param=0.0, **NO_REGULARIZERS)
    np.testing.assert_allclose(grad_logits, [want], atol=1e-12)
    assert stats[1] == -adv  # policy loss: -A * ratio with ratio 1
    want_stats, want_gz, _ = autograd_reference(inputs, **dict(COEFFS, clip_param=0.0, **NO_REGULARIZERS))
    np.testing.assert_allclose(grad_logits, want_gz, atol=1e-12)
    np.testing.assert_allclose(stats, want_stats, atol=1e-12)


# vf_clip_param 0.5, vf_loss_coeff 0.5, two rows (weight 1/2 each): d total / d V per row.
VALUE_BOUNDARIES = [
    # (values, vf_preds, targets), expected grad_values, expected vf_loss
    # V - V_old = +0.5 and -0.5, exactly the clip: both squares tie, the clamp passes its gradient
    (([1.5, 0.5], [1.0, 1.0], [0.0, 0.0]), [0.75, 0.25], (2.25 + 0.25) / 2),
    # clipped far outside the range, squares tied: half of 2 (V - T), the clipped side gives 0
    (([2.0, 0.0], [-2.5, 0.0], [0.0, 0.0]), [0.5, 0.0], (4.0 + 0.0) / 2),
    # V = V_old = T: every term 0
    (([1.0, -1.0], [1.0, -1.0], [1.0, -1.0]), [0.0, 0.0], 0.0),
]


@pytest.mark.parametrize("critic,want_gv,want_vf", VALUE_BOUNDARIES,
                         ids=[str(i) for i in range(len(VALUE_BOUNDARIES))])
def test_ppo_value_clip_thresholds_and_ties(impl, critic, want_gv, want_vf):
    inputs = rows([[0.0, 1.0], [1.0, 0.0]], [0, 1], [-1.0, -1.0], [1.0, -1.0], critic)
    coeffs = dict(vf_loss_coeff=0.5, vf_clip_param=0.5)
    stats, _, grad_values = _same(impl, inputs, **coeffs)
    np.testing.assert_array_equal(grad_values, want_gv)
    assert stats[2] == want_vf
    with np.errstate(divide="ignore", invalid="ignore"):  # constant targets: its explained variance is unused
        want_stats, _, want_gv_torch = autograd_reference(inputs, **dict(COEFFS, **coeffs))
    np.testing.assert_allclose(grad_values, want_gv_torch, atol=1e-12)
    np.testing.assert_allclose(stats[:5], want_stats[:5], rtol=1e-9, atol=1e-12)


def test_ppo_single_action(impl):
    """One logit: log p = 0, nothing to learn for the policy; ratio = exp(-logp_old)."""
    inputs = rows([[0.5], [-3.0]], [0, 0], [0.0, 0.0], [3.0, 1.0])
    stats, grad_logits, _ = _same(impl, inputs)
    assert grad_logits.tolist() == [[0.0], [0.0]]
    assert stats.tolist() == [-2.0, -2.0, 0.0, 0.0, 0.0, 0.0]  # -(3 + 1) / 2; no KL, no entropy


def test_ppo_zero_weights_drop_rows(impl):
    """Rows of weight 0 add nothing and get no gradient: the same as the weighted rows alone."""
    full = ppo_inputs(3, n=6, k=3, weights=True)
    full["weights"] = np.array([0, 0.5, 0, 0.25, 0.25, 0], np.float32)
    kept = np.flatnonzero(full["weights"])
    part = {k: None if v is None else v[kept] for k, v in full.items()}
    stats, grad_logits, grad_values = _same(impl, full)
    part_stats, part_gz, part_gv = _same(impl, part)
    np.testing.assert_allclose(stats[:5], part_stats[:5], rtol=1e-12, atol=1e-15)
    assert not grad_logits[full["weights"] == 0].any() and not grad_values[full["weights"] == 0].any()
    np.testing.assert_array_equal(grad_logits[kept], part_gz)
    np.testing.assert_array_equal(grad_values[kept], part_gv)


@pytest.mark.parametrize("critic,want", [
    (([1.0], [1.0], [1.0]), np.nan),  # one row: Var[T] = Var[T - V] = 0, 0/0
    (([2.0], [2.0], [1.0]), np.nan),  # one row, however wrong the critic: still 0/0
    (([0.0, 0.0], [0.0, 0.0], [1.0, 1.0]), np.nan),  # constant targets, constant error: 0/0
    (([0.0, 1.0], [0.0, 1.0], [1.0, 1.0]), -1.0),  # constant targets, varying error: x/0, floored at -1
    (([1.0, 3.0], [0.0, 0.0], [1.0, 3.0]), 1.0),  # a perfect critic
    (([0.0, 0.0], [0.0, 0.0], [1.0, 3.0]), 0.0),  # a constant critic
])
def test_ppo_explained_variance_boundaries(impl, critic, want):
    n = len(critic[0])
    stats, _, _ = _same(impl, rows([[0.0, 0.0]] * n, [0] * n, [-0.5] * n, [1.0] * n, critic))
    np.testing.assert_array_equal(stats[5], want)


# --- categorical_logp ---------------------------------------------------------------------------


@pytest.mark.parametrize("n,k", [(0, 2), (1, 1), (7, 2), (300, 5)])
def test_categorical_logp_parity_and_torch(impl, n, k):
    """The kernel and the twin agree to the final float32 rounding; torch's float32
    ``log_softmax(...).gather(...)`` within a few of its roundings."""
    rng = np.random.default_rng(n + k)
    logits = rng.normal(0, 4, (n, k)).astype(np.float32)
    actions = rng.integers(0, k, n).astype(np.int64)
    got = impl.categorical_logp(logits, actions)
    assert got.dtype == np.float32 and got.shape == (n,)
    np.testing.assert_array_equal(got, _reference.categorical_logp(logits, actions))
    want = torch.log_softmax(torch.from_numpy(logits), -1).gather(-1, torch.from_numpy(actions)[:, None]).squeeze(-1)
    np.testing.assert_allclose(got, want.numpy(), rtol=2e-6, atol=1e-6)


def test_categorical_logp_extremes(impl):
    """Written-out values: a uniform row, a dominant logit, a masked (-inf) action and the
    logit scale far beyond exp's range (the maximum is subtracted first)."""
    logits = np.array([[0.0, 0.0], [0.0, 100.0], [-np.inf, 0.0], [1e30, 1e30], [-1e30, 0.0]], np.float32)
    got = impl.categorical_logp(logits, np.array([0, 0, 0, 1, 1]))
    assert got.tolist() == [np.float32(-np.log(2.0)), -100.0, -np.inf, np.float32(-np.log(2.0)), 0.0]
    np.testing.assert_array_equal(got, _reference.categorical_logp(logits, np.array([0, 0, 0, 1, 1])))


@pytest.mark.parametrize("logits,actions,error,message", [
    (np.zeros((2, 2)), np.zeros(2, np.int64), TypeError, "logits must have dtype float32"),
    (np.zeros(2, np.float32), np.zeros(2, np.int64), ValueError, "logits must be 2-dimensional"),
    (np.zeros((2, 0), np.float32), np.zeros(2, np.int64), ValueError, "expected at least one column"),
    (np.zeros((2, 2), np.float32), np.zeros(2, np.int32), TypeError, "actions must have dtype int64"),
    (np.zeros((2, 2), np.float32), np.zeros(3, np.int64), ValueError, "actions has 3 rows, expected 2"),
    (np.zeros((3, 2), np.float32), np.array([0, -1, 2]), ValueError, r"actions\[1\] = -1 is outside \[0, 2\)"),
    (np.zeros((4, 2), np.float32)[:, :1], np.zeros(4, np.int64), ValueError, "logits must be C-contiguous"),
])
def test_categorical_logp_errors_name_the_argument(impl, logits, actions, error, message):
    with pytest.raises(error, match=message):
        impl.categorical_logp(logits, actions)

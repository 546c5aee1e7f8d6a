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

"""rlcore's Adam equals torch.optim.Adam (defaults), shares its state format, and needs no dynamo."""

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from rlcore.policy.torch_optim import Adam, _foreach_adam  # noqa: E402


def _model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("fused", [True, False])
def test_same_updates_as_torch_adam(monkeypatch, weight_decay, fused):
    import rlcore.policy.torch_optim as mod

    monkeypatch.setattr(mod, "_FUSED", fused and mod._FUSED)
    ours, ref = _model(0), _model(0)
    opt = Adam(ours.parameters(), lr=3e-3, weight_decay=weight_decay)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=3e-3, weight_decay=weight_decay)
    x = torch.randn(32, 4)
    for step in range(6):
        for model, o in ((ours, opt), (ref, ref_opt)):
            o.zero_grad()
            model(x * (step + 1)).pow(2).sum().backward()
            o.step()
        if step == 3:
            opt.param_groups[0]["lr"] = ref_opt.param_groups[0]["lr"] = 1e-3  # schedules set group lr
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_step_counts_follow_torch_when_some_parameters_have_no_gradient():
    """One shared step counter while every parameter steps; split when one skips a step."""
    ours, ref = _model(3), _model(3)
    opt = Adam(ours.parameters(), lr=1e-2)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    x = torch.randn(8, 4)
    for step in range(5):
        for model, o in ((ours, opt), (ref, ref_opt)):
            o.zero_grad()
            model(x).sum().backward()
            if step in (1, 2):
                model[2].bias.grad = None  # skipped by both optimizers: its step count stays behind
            o.step()
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    steps = [float(st["step"]) for st in opt.state_dict()["state"].values()]
    assert steps == [float(st["step"]) for st in ref_opt.state_dict()["state"].values()] == [5, 5, 5, 3]


def test_state_dict_moves_between_rlcore_and_torch():
    ours, ref = _model(1), _model(1)
    opt = Adam(ours.parameters(), lr=1e-2)
    ours(torch.randn(8, 4)).sum().backward()
    opt.step()
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    ref.load_state_dict(ours.state_dict())
    ref_opt.load_state_dict(opt.state_dict())
    back = Adam(_model(2).parameters(), lr=0.5)
    back.load_state_dict(ref_opt.state_dict())
    assert back.param_groups[0]["lr"] == 1e-2
    assert float(back.state_dict()["state"][0]["step"]) == 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="lr"):
        Adam(_model(0).parameters(), lr=-1)
    with pytest.raises(ValueError, match="betas"):
        Adam(_model(0).parameters(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="param groups"):
        Adam(_model(0).parameters()).load_state_dict({"param_groups": [], "state": {}})


def test_foreach_path_is_used_for_float64():
    p = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    p.grad = torch.ones(3, dtype=torch.float64)
    opt = Adam([p], lr=0.1)
    opt.step()
    assert torch.allclose(p, torch.full((3,), 0.9, dtype=torch.float64))
    assert callable(_foreach_adam)


def test_policies_learn_without_importing_dynamo():
    code = """
import sys, numpy as np, gymnasium as gym
from rlcore.algorithms.ppo.ppo_torch_policy import PPOTorchPolicy
from rlcore.policy.torch_policy_template import build_torch_policy
from rlcore.data import SampleBatch
p = PPOTorchPolicy(gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(2), {"framework": "torch"})
def loss(policy, model, dist_class, batch):
    logits, _ = model.from_batch(batch)
    return -dist_class(logits, model).logp(batch["actions"]).mean()
Pol = build_torch_policy(name="P", loss_fn=loss)
q = Pol(gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(2), {"framework": "torch"})
q.learn_on_batch(SampleBatch(obs=np.zeros((4, 4), np.float32), actions=np.zeros(4, np.int64)))
print("torch._dynamo" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"

"""Torch policies optimize with a torch.optim.Adam: schedulers, hooks, state dicts, user optimizers, and no
torch._dynamo import until something else imports it."""

import numpy as np
import pytest

import torch

from rlcore.policy.torch_optim import Adam, adam  # noqa: E402
from rlcore.policy.torch_policy_template import build_torch_policy  # noqa: E402
from tests.rlcore.policy.conftest import ACT_SPACE, OBS_SPACE, SMALL_MODEL, fixed_batch, torch_pg_loss  # noqa: E402


def _policy(seed=0, **template):
    torch.manual_seed(seed)
    cls = build_torch_policy("OptPG", loss_fn=torch_pg_loss, **template)
    return cls(OBS_SPACE, ACT_SPACE, {"lr": 0.01, "model": SMALL_MODEL})


def _ppo_policy():
    from rlcore.algorithms.ppo import PPOTorchPolicy
    from rlcore.algorithms.ppo.ppo import DEFAULT_CONFIG

    return PPOTorchPolicy(OBS_SPACE, ACT_SPACE, dict(DEFAULT_CONFIG, framework="torch", model=SMALL_MODEL))


@pytest.mark.parametrize("make", [_policy, _ppo_policy], ids=["template default", "ppo adam_optimizer"])
def test_default_optimizer_is_a_fused_torch_adam(make):
    (opt,) = make()._optimizers
    assert isinstance(opt, torch.optim.Adam) and type(opt) is Adam
    assert opt.defaults["fused"] is True


def test_fused_adam_makes_torch_adams_default_updates():
    def model():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))

    ours, ref = model(), model()
    opt, ref_opt = adam(ours.parameters(), lr=3e-3), torch.optim.Adam(ref.parameters(), lr=3e-3, foreach=False)
    x = torch.randn(32, 4)
    for step in range(6):
        for m, o in ((ours, opt), (ref, ref_opt)):
            o.zero_grad()
            m(x * (step + 1)).pow(2).sum().backward()
            o.step()
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_lr_scheduler_drives_a_policys_optimizer():
    policy = _policy()
    (opt,) = policy._optimizers
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    policy.learn_on_batch(fixed_batch())
    scheduler.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.005) and scheduler.get_last_lr() == pytest.approx([0.005])
    before = [p.detach().clone() for p in policy.model.parameters()]
    policy.learn_on_batch(fixed_batch(seed=1))
    assert any(not torch.equal(a, b) for a, b in zip(before, policy.model.parameters()))


def test_optimizer_hooks_run_on_learn_on_batch():
    policy = _policy()
    calls = []
    handle = policy._optimizers[0].register_step_post_hook(lambda opt, args, kwargs: calls.append(type(opt).__name__))
    policy.learn_on_batch(fixed_batch())
    handle.remove()
    policy.learn_on_batch(fixed_batch())
    assert calls == ["Adam"]


def test_state_dict_round_trips_through_torch_and_policy_state():
    learner = _policy()
    learner.learn_on_batch(fixed_batch())
    saved = learner._optimizers[0].state_dict()
    plain = torch.optim.Adam(learner.model.parameters(), lr=0.5)
    plain.load_state_dict(saved)
    assert plain.param_groups[0]["lr"] == 0.01 and float(plain.state_dict()["state"][0]["step"]) == 1.0

    other = _policy(seed=1)
    other.set_state(learner.get_state())
    batch = fixed_batch(seed=2)
    learner.learn_on_batch(batch)
    other.learn_on_batch(batch)
    for a, b in zip(learner.get_weights().values(), other.get_weights().values()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_policy_state_from_the_former_hand_written_adam_loads():
    """Its state dicts had no ``decoupled_weight_decay`` and ``fused: None``; torch fills the rest."""
    learner = _policy()
    learner.learn_on_batch(fixed_batch())
    state = learner.get_state()
    for group in state["_optimizer_variables"][0]["param_groups"]:
        group.pop("decoupled_weight_decay", None)
        group["fused"] = None
    restored = _policy(seed=1)
    restored.set_state(state)
    restored.learn_on_batch(fixed_batch(seed=1))
    assert float(restored._optimizers[0].state_dict()["state"][0]["step"]) == 2.0


def test_user_optimizer_fn_returning_sgd():
    policy = _policy(optimizer_fn=lambda p, config: torch.optim.SGD(p.model.parameters(), lr=0.1))
    (opt,) = policy._optimizers
    assert type(opt) is torch.optim.SGD
    before = [p.detach().clone() for p in policy.model.parameters()]
    grads, _ = policy.compute_gradients(fixed_batch())
    policy.apply_gradients(grads)
    for b, p, g in zip(before, policy.model.parameters(), grads):
        np.testing.assert_allclose(p.detach().numpy(), b.numpy() - 0.1 * g, rtol=1e-5, atol=1e-6)


def test_adam_leaves_an_explicit_choice_alone():
    p = torch.nn.Parameter(torch.ones(2))
    assert adam([p], lr=0.1, fused=False).defaults["fused"] is False
    assert adam([torch.nn.Parameter(torch.ones(2))], lr=0.1).defaults["fused"] is True


def test_default_adam_is_made_on_first_use_with_the_scheduled_lr():
    """A sampling-only worker never builds the optimizer; the first learning step does, at the
    current scheduled lr, and still imports no torch._dynamo."""
    import subprocess
    import sys

    code = (
        "import sys, gymnasium as gym\n"
        "from rlcore.algorithms.ppo import PPOTorchPolicy\n"
        "p = PPOTorchPolicy(gym.spaces.Box(-1, 1, (4,)), gym.spaces.Discrete(2),"
        " {'lr_schedule': [[0, 0.1], [100, 0.001]]})\n"
        "p.compute_actions(gym.spaces.Box(-1, 1, (3, 4)).sample())\n"
        "p.on_global_var_update({'timestep': 100})\n"
        "print('torch._dynamo' in sys.modules, p.__dict__['_built_optimizers'] is None)\n"
        "print(p._optimizers[0].param_groups[0]['lr'], 'torch._dynamo' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "True", "0.001", "False"]


_LEARN_WITHOUT_DYNAMO = """
import sys, torch
from rlcore.policy.torch_optim import adam

def run(make_opt, steps=5):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    opt = make_opt(model.parameters())
    for step in range(steps):
        opt.zero_grad()
        model(torch.linspace(-1, 1, 32).reshape(8, 4) * (step + 1)).pow(2).sum().backward()
        opt.step()
    state = opt.state_dict()
    opt.load_state_dict(state)
    return [p.detach().clone() for p in model.parameters()], float(state["state"][0]["step"])

ours, steps = run(lambda p: adam(p, lr=3e-3))
print("torch._dynamo" in sys.modules, steps)
ref, _ = run(lambda p: torch.optim.Adam(p, lr=3e-3, fused=True))
print("torch._dynamo" in sys.modules)
again, _ = run(lambda p: adam(p, lr=3e-3))
print(all(torch.equal(a, b) for a, b in zip(ours, ref)), all(torch.equal(a, b) for a, b in zip(again, ref)))
"""


def test_adam_imports_no_dynamo_and_matches_torch_before_and_after_dynamo_is_loaded():
    """Steps, zero_grad and a state round trip import no torch._dynamo (torch's decorators would:
    ~75 MB and ~1 s a process). torch's own Adam, whose construction imports it, then gives
    bit-equal parameters, and so does ours once dynamo is loaded (it then calls torch's decorated
    methods)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _LEARN_WITHOUT_DYNAMO], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "5.0", "True", "True", "True"]


def test_policy_zero_grad_clears_adams_grads_without_the_profiler_scope(monkeypatch):
    """The policy's ``_zero_grad`` takes the direct path for rlcore's Adam (its ``zero_grad``
    wrapper stands for torch's), so torch's ``record_function`` scope is not entered; an
    optimizer that overrides ``zero_grad`` gets its own method called."""
    from rlcore.policy.torch_policy import _zero_grad

    p = torch.nn.Parameter(torch.ones(2))
    entered = []
    real = torch.autograd.profiler.record_function

    def spy(*args, **kwargs):
        entered.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch.autograd.profiler, "record_function", spy)
    opt = adam([p], lr=0.1)
    p.grad = torch.ones(2)
    _zero_grad(opt)
    assert p.grad is None and entered == []
    opt.zero_grad()  # torch's own path does enter it: the spy sees the call
    assert entered

    class KeepsGrads(Adam):
        def zero_grad(self, set_to_none: bool = True) -> None:
            for group in self.param_groups:
                for q in group["params"]:
                    q.grad.zero_()

    p.grad = torch.ones(2)
    _zero_grad(KeepsGrads([p], lr=0.1))
    assert p.grad is not None and float(p.grad.sum()) == 0.0


@pytest.fixture
def no_dynamo(monkeypatch):
    """As in a process that has not imported ``torch._dynamo`` (torch's own Adam, built by other
    tests here, imports it; then rlcore's Adam takes torch's decorated step)."""
    import rlcore.policy.torch_optim as torch_optim

    monkeypatch.setattr(torch_optim, "_dynamo_loaded", lambda: False)


def _adam_run(make_opt, steps=6, *, groups=False, drop_grad_at=None, schedule=False, dtype=torch.float32):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2)).to(dtype)
    params = ([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.02}] if groups
              else model.parameters())
    opt = make_opt(params)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5) if schedule else None
    for step in range(steps):
        opt.zero_grad()
        model(torch.linspace(-1, 1, 32, dtype=dtype).reshape(8, 4) * (step + 1)).pow(2).sum().backward()
        if step == drop_grad_at or (drop_grad_at == 0 and step < 3) or drop_grad_at == -1:
            model[2].bias.grad = None  # torch's step skips a parameter without a gradient (-1: always)
        opt.step()
        if sched is not None:
            sched.step()
    return [p.detach().clone() for p in model.parameters()], opt


@pytest.mark.parametrize("options", [
    {}, {"weight_decay": 0.1}, {"maximize": True}, {"decoupled_weight_decay": True, "weight_decay": 0.1},
    {"amsgrad": True}, {"groups": True}, {"schedule": True}, {"drop_grad_at": 3}, {"drop_grad_at": 0},
    {"dtype": torch.float64},
], ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
def test_adam_steps_equal_torchs_fused_adam_bit_for_bit(options, no_dynamo):
    """rlcore's Adam, which calls torch's fused kernel with its own lists when it can, moves every
    parameter and step counter exactly as torch's fused Adam, also where it falls back to torch's
    step (amsgrad, a parameter without a gradient)."""
    run_kw = {k: options.pop(k) for k in ("groups", "drop_grad_at", "schedule", "dtype") if k in options}
    ours, opt = _adam_run(lambda p: Adam(p, lr=0.01, fused=True, **options), **run_kw)
    ref, ref_opt = _adam_run(lambda p: torch.optim.Adam(p, lr=0.01, fused=True, **options), **run_kw)
    assert all(torch.equal(a, b) for a, b in zip(ours, ref))
    steps = [float(s["step"]) for s in opt.state_dict()["state"].values()]
    assert steps == [float(s["step"]) for s in ref_opt.state_dict()["state"].values()]


def test_adam_calls_the_fused_kernel_itself_after_the_first_step(monkeypatch, no_dynamo):
    """The first step initialises the state through torch's step; later ones skip torch's
    per-step list building (``_init_group``) and still match torch."""
    calls = []
    init_group = torch.optim.Adam._init_group
    monkeypatch.setattr(torch.optim.Adam, "_init_group", lambda self, *a: calls.append(1) or init_group(self, *a))
    ours, _ = _adam_run(lambda p: adam(p, lr=0.01), steps=5)
    assert len(calls) == 1
    monkeypatch.setattr(torch.optim.Adam, "_init_group", init_group)
    ref, _ = _adam_run(lambda p: torch.optim.Adam(p, lr=0.01, fused=True), steps=5)
    assert all(torch.equal(a, b) for a, b in zip(ours, ref))


def test_adam_step_runs_torchs_step_hooks_once_and_under_the_profiler_its_scope(no_dynamo):
    """Global and per-optimizer step hooks run once per step (also for a subclass whose own step
    calls ``super().step()``), a pre-hook's returned arguments reach the step, and the autograd
    profiler sees torch's ``Optimizer.step#Adam.step`` scope."""
    from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

    p = torch.nn.Parameter(torch.ones(3))
    seen = []

    class Counting(Adam):
        def step(self, closure=None):
            seen.append("sub")
            return super().step(closure)

    for opt in (adam([p], lr=0.1), Counting([p], lr=0.1, fused=True)):
        seen.clear()
        handles = [opt.register_step_pre_hook(lambda o, a, k: seen.append("pre")),
                   opt.register_step_post_hook(lambda o, a, k: seen.append("post")),
                   register_optimizer_step_pre_hook(lambda o, a, k: seen.append("gpre")),
                   register_optimizer_step_post_hook(lambda o, a, k: seen.append("gpost"))]
        for _ in range(2):
            p.grad = torch.ones(3)
            opt.step()
        for h in handles:
            h.remove()
        inner = ["sub"] if isinstance(opt, Counting) else []
        assert seen == (["gpre", "pre"] + inner + ["post", "gpost"]) * 2

    opt = adam([p], lr=0.1)
    closure_calls = []
    handle = opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: closure_calls.append(1) or 0.5}))
    p.grad = torch.ones(3)
    assert opt.step() == 0.5 and closure_calls == [1]
    handle.remove()

    p.grad = torch.ones(3)
    with torch.autograd.profiler.profile() as prof:
        opt.step()
    assert any(e.name == "Optimizer.step#Adam.step" for e in prof.function_events)


def test_adam_kernel_path_leaves_out_parameters_without_gradients(monkeypatch, no_dynamo):
    """A parameter that never gets a gradient (an unused head, as DQN's value branch without
    dueling) neither sends the step back to torch's path nor moves: the same as torch's step."""
    calls = []
    init_group = torch.optim.Adam._init_group
    monkeypatch.setattr(torch.optim.Adam, "_init_group", lambda self, *a: calls.append(1) or init_group(self, *a))
    ours, opt = _adam_run(lambda p: adam(p, lr=0.01), steps=5, drop_grad_at=-1)
    assert len(calls) == 1 and len(opt.state) == 3
    monkeypatch.setattr(torch.optim.Adam, "_init_group", init_group)
    ref, _ = _adam_run(lambda p: torch.optim.Adam(p, lr=0.01, fused=True), steps=5, drop_grad_at=-1)
    assert all(torch.equal(a, b) for a, b in zip(ours, ref))

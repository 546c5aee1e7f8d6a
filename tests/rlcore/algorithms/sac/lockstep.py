"""Test helpers for the off-policy actor-critic policies (SAC, DDPG/TD3): two policies with equal
weights learn on the same batches, and must end bit-identical (torch: one of them inside a context
that swaps a speed-up for the plain computation) or with the same changes (a torch policy and a TF
one)."""

import contextlib
from typing import Any, Callable, ContextManager, Sequence

import numpy as np


def assert_lockstep_updates_equal(fast: Any, plain: Any, batches: Sequence[Any], actor_prefix: str, critic_prefix: str,
                                  plain_context: Callable[[], ContextManager] = contextlib.nullcontext) -> None:
    """Steps ``fast`` and ``plain`` (weights made equal first) through ``learn_on_batch`` and
    ``update_target`` on ``batches`` with the same torch seed per step (``plain``'s learn step
    inside ``plain_context()``); asserts the steps moved the weights whose names start with
    ``actor_prefix`` and ``critic_prefix``, and that both policies' weights and target networks
    are equal bit for bit."""
    import torch

    plain.set_weights(fast.get_weights())
    start = {k: v.copy() for k, v in plain.get_weights().items()}
    for step, batch in enumerate(batches):
        torch.manual_seed(step)
        fast.learn_on_batch(batch)
        fast.update_target()
        with plain_context():
            torch.manual_seed(step)
            plain.learn_on_batch(batch)
        plain.update_target()
    moved = [k for k, v in plain.get_weights().items() if not np.array_equal(v, start[k])]
    # the steps moved the actor and the critic(s): the comparison below has something to compare
    assert any(k.startswith(actor_prefix) for k in moved) and any(k.startswith(critic_prefix) for k in moved), moved
    for k, v in plain.get_weights().items():
        np.testing.assert_array_equal(fast.get_weights()[k], v, err_msg=k)
    for a, b in zip(fast.target_model.parameters(), plain.target_model.parameters()):
        assert torch.equal(a, b)


def plain_autograd(monkeypatch: Any, module: Any) -> Callable[[], ContextManager]:
    """A ``plain_context`` for :func:`assert_lockstep_updates_equal`: ``module.frozen`` (the
    policy module's name for :func:`rlcore.algorithms.off_policy_ac.frozen`) freezes nothing, and
    each loss gets its own backward pass (with nothing frozen, one summed pass would add the
    actor loss's critic gradients to the critics')."""
    from rlcore.algorithms.off_policy_ac import SummedBackward

    @contextlib.contextmanager
    def context():
        with monkeypatch.context() as m:
            m.setattr(module, "frozen", lambda params: contextlib.nullcontext())
            m.setattr(SummedBackward, "_summed_backward_applies", lambda self: False)
            yield

    return context


def per_loss_backward(monkeypatch: Any, policy_class: Any) -> Callable[[], ContextManager]:
    """A ``plain_context`` for :func:`assert_lockstep_updates_equal`: ``policy_class`` lists no
    disjoint loss function, so ``TorchPolicy``'s one backward pass per loss runs instead of
    :class:`rlcore.algorithms.off_policy_ac.SummedBackward`'s single pass."""

    @contextlib.contextmanager
    def context():
        with monkeypatch.context() as m:
            m.setattr(policy_class, "disjoint_loss_fns", ())
            yield

    return context


def assert_losses_reach_only_their_optimizer(policy: Any, batch: Any) -> None:
    """Each of the policy's losses on ``batch`` has gradients for some of its own optimizer's
    parameters and none reaching another optimizer's (what makes one summed backward pass exact)."""
    import torch

    assert policy._summed_backward_applies()
    train_batch = policy._prepare_train_batch(batch)
    policy.set_training(True)
    losses = list(policy._loss(policy, policy.model, policy.dist_class, train_batch))
    groups = [[p for g in opt.param_groups for p in g["params"]] for opt in policy._optimizers]
    assert len(losses) == len(groups)
    for i, loss in enumerate(losses):
        for j, params in enumerate(groups):
            grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
            reached = [g is not None for g in grads]
            if i == j:
                assert any(reached), f"loss {i} reaches none of its optimizer's parameters"
            else:
                assert not any(reached), f"loss {i} reaches parameters of optimizer {j}"


def assert_tf_learns_as_torch(torch_policy: Any, tf_policy: Any, pairs: Callable[[], Sequence[Any]],
                              batches: Sequence[Any], rtol: float = 0.05) -> None:
    """Steps a torch policy and a TF one with equal weights through ``learn_on_batch`` on the same
    ``batches``; asserts that every variable moved and that each TF variable moved as its torch
    twin did: ``|d_tf - d_torch| <= rtol * |d_torch|`` (Euclidean norms of the variable's change
    over all the steps), and that the last step's losses agree.

    ``pairs()`` lists ``(torch parameter, TF variable)`` of equal values (a torch 2-D weight is
    its TF kernel transposed). The steps must not draw random numbers (e.g. SAC's
    ``_deterministic_loss``). A TF step that updated another variable set, at another rate, in
    another direction or skipped an update moves a variable by about as much as the variable's
    own change (a ratio near 1 or above); the two frameworks' float32 rounding, through Adam's
    first steps (about ``lr * sign(gradient)``), stays within a few percent.
    """

    def values():
        out = []
        for param, var in pairs():
            value = param.detach().numpy()
            out.append((np.array(value.T if value.ndim == 2 else value), np.array(var.numpy())))
        return out

    start = values()
    for torch_value, tf_value in start:
        np.testing.assert_array_equal(tf_value, torch_value)  # the same starting point
    for batch in batches:
        torch_stats = torch_policy.learn_on_batch(dict(batch))["learner_stats"]
        tf_stats = tf_policy.learn_on_batch(dict(batch))["learner_stats"]
    for i, ((t0, f0), (t1, f1)) in enumerate(zip(start, values())):
        moved = np.linalg.norm(t1 - t0)
        assert moved > 0, f"variable {i} {t0.shape} did not move"
        gap = np.linalg.norm((f1 - f0) - (t1 - t0))
        assert gap <= rtol * moved, f"variable {i} {t0.shape}: TF's change is {gap / moved:.3f} of torch's away from it"
    losses = sorted(k for k in torch_stats if k.endswith("_loss") and k in tf_stats)
    assert losses, (sorted(torch_stats), sorted(tf_stats))
    np.testing.assert_allclose([tf_stats[k] for k in losses], [torch_stats[k] for k in losses], rtol=1e-3, atol=1e-6)

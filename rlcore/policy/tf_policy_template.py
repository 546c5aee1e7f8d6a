"""build_tf_policy: the TensorFlow 2 flavour of :func:`build_policy_class` (RLlib 1.x name).

The seed's example runs as written::

    tf1, tf, tfv = try_import_tf()
    def policy_gradient_loss(policy, model, dist_class, train_batch):
        logits, _ = model.from_batch(train_batch)
        action_dist = dist_class(logits, model)
        return -tf.reduce_mean(action_dist.logp(train_batch["actions"]) * train_batch["rewards"])
    MyTFPolicy = build_tf_policy(name="MyTFPolicy", loss_fn=policy_gradient_loss)

Examples:
    >>> P = build_tf_policy("P", loss_fn=lambda policy, model, dist_class, batch: None)
    >>> P.__name__
    'P'
"""

from __future__ import annotations

from typing import Any

from rlcore.policy.policy_template import build_policy_class

__all__ = ["build_tf_policy"]


def build_tf_policy(name: str, **kwargs: Any) -> type:
    """``build_policy_class(name, framework="tf", **kwargs)``; see there for the hooks.

    TF-specific hook names are accepted: ``gradients_fn`` (also as ``compute_gradients_fn``),
    ``apply_gradients_fn(policy, optimizer, grads_and_vars)``, ``grad_stats_fn`` and the deprecated
    ``extra_action_fetches_fn``.

    Args:
        name: the class name.
        **kwargs: the builder arguments (``loss_fn``, ``stats_fn``, ``postprocess_fn``, ...).
    """
    framework = kwargs.pop("framework", "tf")
    if kwargs.get("gradients_fn") is None and kwargs.get("compute_gradients_fn") is not None:
        kwargs["gradients_fn"] = kwargs.pop("compute_gradients_fn")
    return build_policy_class(name, framework, **kwargs)

"""PPO: proximal policy optimization; defaults, torch and TF policies, execution plan, trainer.

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`).

Examples:
    >>> from rlcore.algorithms.ppo import PPOTrainer, DEFAULT_CONFIG
    >>> PPOTrainer.__name__, DEFAULT_CONFIG["clip_param"], DEFAULT_CONFIG["model"]["vf_share_layers"]
    ('PPO', 0.3, False)
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    "KLCoeffMixin": "kl_coeff",
    "PPOTFPolicy": "ppo_tf_policy",
    "PPOTorchPolicy": "ppo_torch_policy",
    **dict.fromkeys(["PPOTrainer", "UpdateKL", "execution_plan", "get_policy_class", "validate_config",
                     "warn_about_bad_reward_scales"], "ppo"),
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

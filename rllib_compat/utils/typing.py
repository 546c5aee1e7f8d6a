"""RLlib 1.x import path ``ray.rllib.utils.typing``: the type aliases 1.x code annotates with.

The aliases are what RLlib 1.x defined (mostly ``dict`` and ``Any``: they document intent);
``SampleBatchType`` and ``ViewRequirementsDict`` name rlcore's classes as forward references.
Nothing here imports a framework.

Examples:
    >>> from rllib_compat.utils.typing import TrainerConfigDict, TensorType, PolicyID
    >>> TrainerConfigDict is dict, PolicyID is str
    (True, True)
    >>> def loss(policy, model, dist_class, train_batch) -> TensorType: ...
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple, Union

__all__ = [
    "AgentID", "EnvActionType", "EnvConfigDict", "EnvID", "EnvInfoDict", "EnvObsType", "EnvType",
    "EpisodeID", "FileType", "FromConfigSpec", "GradInfoDict", "LearnerStatsDict", "LocalOptimizer",
    "ModelConfigDict", "ModelGradients", "ModelInputDict", "ModelWeights", "MultiAgentDict",
    "MultiAgentPolicyConfigDict", "MultiEnvDict", "PartialTrainerConfigDict", "PolicyID", "ResultDict",
    "SampleBatchType", "TensorShape", "TensorStructType", "TensorType", "TrainerConfigDict", "UnrollID",
    "ViewRequirementsDict",
]

#: A full trainer config (defaults merged); policy configs are usually the same dict.
TrainerConfigDict = dict
#: Only the keys a user overrides; merged over the defaults before use.
PartialTrainerConfigDict = dict
#: The ``env_config`` sub-dict passed to env constructors.
EnvConfigDict = dict
#: The ``model`` sub-dict passed to the model catalog.
ModelConfigDict = dict
#: What ``from_config`` accepts: a dict with a ``"type"`` key, a class, or a class path string.
FromConfigSpec = Union[Dict[str, Any], type, str]
#: A BaseEnv, MultiAgentEnv, ExternalEnv, VectorEnv or gymnasium env.
EnvType = Any
#: An agent id in a multi-agent env (e.g. ``"agent_1"``).
AgentID = Any
#: A policy id (e.g. ``"default_policy"``).
PolicyID = str
#: ``config["multiagent"]["policies"]``: ``{policy_id: (cls or None, obs_space, act_space, config)}``.
MultiAgentPolicyConfigDict = Dict[PolicyID, Tuple[Union[type, None], Any, Any, PartialTrainerConfigDict]]
#: A sub-env index of a vector env, or an external env's episode-scoped id.
EnvID = Union[int, str]
#: An episode id.
EpisodeID = int
#: An unroll id (one sampling fragment, maybe across sub-envs).
UnrollID = int
#: ``{agent_id: value}``.
MultiAgentDict = Dict[AgentID, Any]
#: ``{env_id: {agent_id: value}}``.
MultiEnvDict = Dict[EnvID, MultiAgentDict]
#: An observation as the env returns it.
EnvObsType = Any
#: An action as the env takes it.
EnvActionType = Any
#: The info dict of an env step.
EnvInfoDict = dict
#: A file object.
FileType = Any
#: ``{column name: ViewRequirement}``.
ViewRequirementsDict = Dict[str, "ViewRequirement"]
#: The result dict of ``Trainer.train()``.
ResultDict = dict
#: A torch or Keras optimizer.
LocalOptimizer = Union["tf.keras.optimizers.Optimizer", "torch.optim.Optimizer"]
#: ``compute_gradients``' info dict (``{"learner_stats": {...}, ...}``, per policy in multi-agent).
GradInfoDict = dict
#: The learner statistics under ``"learner_stats"``.
LearnerStatsDict = dict
#: A numpy array, torch tensor or TF tensor.
TensorType = Any
#: ``[(grad, var)]`` (TF) or ``[grad]`` (torch), as ``compute_gradients`` returns.
ModelGradients = Union[List[Tuple[TensorType, TensorType]], List[TensorType]]
#: ``get_weights()``' result.
ModelWeights = dict
#: The input dict of a ModelV2 call (``obs``, ``prev_actions``, ...).
ModelInputDict = Dict[str, TensorType]
#: A SampleBatch or a MultiAgentBatch.
SampleBatchType = Union["SampleBatch", "MultiAgentBatch"]
#: A tensor, or a (nested) dict or tuple of tensors.
TensorStructType = Union[TensorType, dict, tuple]
#: A tensor shape.
TensorShape = Union[Tuple[int], List[int]]

"""Column names of experience batches, each with the meaning of one row.

A row of a :class:`~rlcore.data.sample_batch.SampleBatch` is one agent step: the observation the
agent saw, what it did, and what followed. Every layer (collector, policies, postprocessing,
replay) names columns through :class:`Columns`, so a name is spelled in exactly one place. The
strings are RLlib's, so batches written by old code read the same.

Examples:
    >>> from rlcore.data.columns import Columns
    >>> Columns.OBS, Columns.NEXT_OBS, Columns.TERMINATEDS
    ('obs', 'new_obs', 'terminateds')
    >>> Columns.is_state_in("state_in_0"), Columns.state_in(1), Columns.state_out(2)
    (True, 'state_in_1', 'state_out_2')
"""

from __future__ import annotations

__all__ = ["Columns"]


class Columns:
    """Namespace of column-name constants (RLlib's strings) with their row semantics.

    Examples:
        >>> Columns.REWARDS
        'rewards'
        >>> "seq_lens" in Columns.all_names()
        True
    """

    # --- what the agent saw and did -----------------------------------------------------------
    #: Observation at step t, the input of the action taken at t.
    OBS = "obs"
    #: Alias of OBS kept from RLlib.
    CUR_OBS = "obs"
    #: Observation after the action of step t (the next row's obs within an episode).
    NEXT_OBS = "new_obs"
    #: Action taken at step t.
    ACTIONS = "actions"
    #: Reward received for the action of step t.
    REWARDS = "rewards"
    #: Action taken at step t-1 (zeros at an episode's first step).
    PREV_ACTIONS = "prev_actions"
    #: Reward received at step t-1 (zero at an episode's first step).
    PREV_REWARDS = "prev_rewards"
    #: Episode ended after step t, terminated or truncated (RLlib's single done flag).
    DONES = "dones"
    #: Episode reached a terminal state after step t (gymnasium ``terminated``): bootstrap 0.
    TERMINATEDS = "terminateds"
    #: Episode was cut after step t without a terminal state (gymnasium ``truncated``).
    TRUNCATEDS = "truncateds"
    #: The env's info dict returned with NEXT_OBS (an object column of dicts).
    INFOS = "infos"

    # --- what the policy computed ---------------------------------------------------------------
    #: Parameters of the action distribution at step t (model output, e.g. logits).
    ACTION_DIST_INPUTS = "action_dist_inputs"
    #: Probability of the action taken at step t under the sampling policy.
    ACTION_PROB = "action_prob"
    #: Log-probability of the action taken at step t under the sampling policy.
    ACTION_LOGP = "action_logp"
    #: Value-function estimate V(obs_t) at sampling time.
    VF_PREDS = "vf_preds"

    # --- bookkeeping --------------------------------------------------------------------------
    #: Id of the episode this step belongs to.
    EPS_ID = "eps_id"
    #: Id of the rollout fragment (unroll) this step was collected in.
    UNROLL_ID = "unroll_id"
    #: Index of the agent within a multi-agent episode.
    AGENT_INDEX = "agent_index"
    #: Step index of this row within its episode (0 at reset).
    T = "t"
    #: Index of the (vectorised) sub-environment the step came from.
    ENV_ID = "env_id"
    #: Lengths of the RNN sequences the rows are cut into (one entry per sequence, not per row).
    SEQ_LENS = "seq_lens"

    # --- postprocessing and replay --------------------------------------------------------------
    #: Advantage estimate of step t (GAE or plain returns minus baseline).
    ADVANTAGES = "advantages"
    #: Regression target of the value function at step t.
    VALUE_TARGETS = "value_targets"
    #: Importance-sampling weight of the row (prioritized replay).
    WEIGHTS = "weights"
    #: Index of the row in the replay buffer it was sampled from.
    BATCH_INDEXES = "batch_indexes"

    #: Prefix of RNN input-state columns (one row per sequence when SEQ_LENS is present).
    STATE_IN_PREFIX = "state_in_"
    #: Prefix of RNN output-state columns (one row per step).
    STATE_OUT_PREFIX = "state_out_"

    @staticmethod
    def state_in(i: int) -> str:
        """Name of the i-th RNN input-state column.

        Examples:
            >>> Columns.state_in(0)
            'state_in_0'
        """
        return f"{Columns.STATE_IN_PREFIX}{int(i)}"

    @staticmethod
    def state_out(i: int) -> str:
        """Name of the i-th RNN output-state column.

        Examples:
            >>> Columns.state_out(0)
            'state_out_0'
        """
        return f"{Columns.STATE_OUT_PREFIX}{int(i)}"

    @staticmethod
    def is_state_in(name: str) -> bool:
        """Whether ``name`` is an RNN input-state column (``state_in_<i>``).

        Examples:
            >>> Columns.is_state_in("state_in_3"), Columns.is_state_in("obs")
            (True, False)
        """
        return isinstance(name, str) and name.startswith(Columns.STATE_IN_PREFIX)

    @staticmethod
    def all_names() -> frozenset[str]:
        """Every column-name constant defined here (prefixes excluded).

        Examples:
            >>> {"obs", "new_obs", "t"} <= Columns.all_names()
            True
        """
        return frozenset(
            v
            for k, v in vars(Columns).items()
            if k.isupper() and isinstance(v, str) and not k.endswith("_PREFIX")
        )

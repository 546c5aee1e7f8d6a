"""The asynchronous plan the README shows (section "Execution plans") runs as written: an IMPALA
trainer built on exactly that code samples with 2 Ray workers and trains on the learner thread."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_plan_code() -> str:
    section = README.read_text().split("## Execution plans", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.ray
def test_readme_async_plan_trains(ray_mod):
    from rlcore.algorithms.impala import DEFAULT_CONFIG, BroadcastUpdateLearnerWeights, get_policy_class
    from rlcore.ops import (ConcatBatches, Enqueue, LearnerThread, concurrently, dequeue, parallel_rollouts,
                            standard_metrics_reporting)
    from rlcore.trainer import build_trainer

    code = _readme_plan_code()
    learners = []

    def execution_plan(workers, config):
        scope = {"workers": workers, "LearnerThread": LearnerThread, "parallel_rollouts": parallel_rollouts,
                 "ConcatBatches": ConcatBatches, "Enqueue": Enqueue, "dequeue": dequeue,
                 "concurrently": concurrently, "BroadcastUpdateLearnerWeights": BroadcastUpdateLearnerWeights}
        exec(code, scope)  # the README's lines, unchanged
        learners.append(scope["learner"])
        out = standard_metrics_reporting(scope["plan"], workers, config)
        out.shared_metrics.get().stop_hooks.append(lambda ctx: scope["learner"].stop())
        return out

    trainer_cls = build_trainer(name="ReadmeAsync", default_config=DEFAULT_CONFIG, get_policy_class=get_policy_class,
                                execution_plan=execution_plan)
    trainer = trainer_cls(config={"env": "CartPole-v1", "framework": "torch", "num_workers": 2, "seed": 0,
                                  "min_iter_time_s": 0, "log_sys_usage": False})
    try:
        result = trainer.train()
        assert result["timesteps_total"] >= 500
        assert learners[0].grad_timer.count >= 1  # the learner thread trained
    finally:
        trainer.stop()
    assert not learners[0].is_alive()

"""IMPALA: RLlib 1.x defaults and config checks, the async plan (0 and 2 workers, counters, broadcast,
mix-in replay, tree aggregation), learner failures, worker failures and stop()."""

import threading

import numpy as np
import pytest

from rlcore.algorithms.impala import (DEFAULT_CONFIG, BroadcastUpdateLearnerWeights, ImpalaTrainer,
                                      get_policy_class, validate_config)
from rlcore.ops.learner_thread import LearnerThreadError
from tests.rlcore.algorithms.conftest import _small_config

WAIT_S = 60


def plan_config(small_config, framework="torch", **overrides):
    """A fast IMPALA config: small batches, iterations cut by timesteps, no minimum iteration time."""
    settings = dict(rollout_fragment_length=50, train_batch_size=100, timesteps_per_iteration=500,
                    model={"fcnet_hiddens": [16]}, log_sys_usage=False)
    settings.update(overrides)
    return small_config(framework, **settings)


class DirLogger:
    """A logger_creator result that only names the trial folder (no TensorBoard writer thread)."""

    def __init__(self, logdir):
        self.logdir = str(logdir)


def live_actor_classes(ray):
    return sorted(a["ActorClassName"] for a in ray._private.state.actors().values() if a["State"] == "ALIVE")


# -- config --------------------------------------------------------------------------------------


def test_defaults_are_rllib_1x_values():
    expected = dict(vtrace=True, vtrace_clip_rho_threshold=1.0, vtrace_clip_pg_rho_threshold=1.0,
                    rollout_fragment_length=50, train_batch_size=500, min_iter_time_s=10, num_workers=2,
                    minibatch_buffer_size=1, num_sgd_iter=1, replay_proportion=0.0, replay_buffer_num_slots=0,
                    learner_queue_size=16, learner_queue_timeout=300, max_sample_requests_in_flight_per_worker=2,
                    broadcast_interval=1, num_aggregation_workers=0, grad_clip=40.0, opt_type="adam", lr=0.0005,
                    lr_schedule=None, decay=0.99, momentum=0.0, epsilon=0.1, vf_loss_coeff=0.5, entropy_coeff=0.01,
                    entropy_coeff_schedule=None, after_train_step=None, num_multi_gpu_tower_stacks=1)
    assert {k: DEFAULT_CONFIG[k] for k in expected} == expected
    assert DEFAULT_CONFIG["num_gpus"] == 0  # 1.x: 1; rlcore trains on CPU (documented)
    assert DEFAULT_CONFIG["batch_mode"] == "truncate_episodes"


@pytest.mark.parametrize("overrides, message", [
    (dict(batch_mode="complete_episodes"), "batch_mode='complete_episodes': expected 'truncate_episodes' when vtrace"),
    (dict(replay_proportion=0.5), "replay_proportion=0.5 > 0 needs replay_buffer_num_slots > 0"),
    (dict(num_aggregation_workers=3), r"num_aggregation_workers=3: expected a value <= num_workers \(2\)"),
    (dict(opt_type="sgd"), "opt_type='sgd': expected one of 'adam', 'rmsprop'"),
    (dict(learner_queue_size=0), "learner_queue_size=0: expected an int >= 1"),
    (dict(learner_queue_timeout=0), "learner_queue_timeout=0: expected a number > 0.0"),
    (dict(entropy_coeff=-0.1), "entropy_coeff=-0.1: expected a number >= 0.0"),
    (dict(vtrace_clip_rho_threshold=-1.0), "vtrace_clip_rho_threshold=-1.0: expected a number > 0.0 or None"),
    (dict(num_multi_gpu_tower_stacks=2, minibatch_buffer_size=3),
     r"num_multi_gpu_tower_stacks=2: expected a value >= minibatch_buffer_size \(3\)"),
    (dict(after_train_step=5), "after_train_step=5: expected None or fn"),
])
def test_validate_config_names_key_value_and_expectation(overrides, message):
    with pytest.raises(ValueError, match=message):
        validate_config(dict(DEFAULT_CONFIG, **overrides))


def test_validate_config_accepts_the_defaults_and_moves_the_1_4_buffer_key():
    config = dict(DEFAULT_CONFIG, num_data_loader_buffers=2, minibatch_buffer_size=2)
    validate_config(config)
    assert config["num_multi_gpu_tower_stacks"] == 2 and config["num_data_loader_buffers"] is None
    validate_config(dict(DEFAULT_CONFIG, batch_mode="complete_episodes", vtrace=False))


def test_policy_class_follows_framework_and_vtrace():
    names = {(fw, v): get_policy_class(dict(DEFAULT_CONFIG, framework=fw, vtrace=v)).__name__
             for fw in ("torch", "tf2") for v in (True, False)}
    assert names == {("torch", True): "VTraceTorchPolicy", ("tf2", True): "VTraceTFPolicy",
                     ("torch", False): "A3CTorchPolicy", ("tf2", False): "A3CTFPolicy"}


# -- the plan without remote workers ---------------------------------------------------------------


def test_plan_without_workers_samples_locally_and_reports_learner_metrics(small_config):
    trainer = ImpalaTrainer(config=plan_config(small_config))
    try:
        assert "dequeue" in repr(trainer.train_exec_impl)
        results = [trainer.train() for _ in range(2)]
    finally:
        trainer.stop()
    last = results[-1]
    info = last["info"]
    assert last["timesteps_total"] == info["num_steps_sampled"] >= 1000
    assert 0 < info["num_steps_trained"] <= info["num_steps_sampled"]  # no replay, one pass: never ahead
    assert info["num_steps_trained"] % 100 == 0 and info["num_steps_trained_this_iter"] == 100
    assert info["num_agent_steps_trained"] == info["num_steps_trained"]
    assert set(info["learner"]["default_policy"]) >= {"policy_loss", "vf_loss", "entropy", "cur_lr"}
    assert info["learner_queue"]["size_count"] > 0
    assert set(info["timing_breakdown"]) == {"learner_grad_time_ms", "learner_load_time_ms",
                                             "learner_load_wait_time_ms", "learner_dequeue_time_ms"}
    assert "num_weight_broadcasts" not in info  # nothing remote to broadcast to
    assert trainer.workers.local_worker().global_vars["timestep"] > 0


def test_mix_in_replay_trains_on_more_rows_than_were_sampled(small_config):
    config = plan_config(small_config, vtrace=False, replay_proportion=1.0, replay_buffer_num_slots=4,
                         learner_queue_size=1, timesteps_per_iteration=1000)
    trainer = ImpalaTrainer(config=config)
    try:
        results = [trainer.train() for _ in range(3)]
    finally:
        trainer.stop()
    info = results[-1]["info"]
    assert info["num_steps_trained"] > info["num_steps_sampled"]  # replayed rows count as trained, not sampled


def test_multi_gpu_learner_is_used_with_several_tower_stacks(small_config):
    trainer = ImpalaTrainer(config=plan_config(small_config, num_multi_gpu_tower_stacks=2, num_sgd_iter=2))
    try:
        names = {t.name for t in threading.enumerate()}
        result = trainer.train()
    finally:
        trainer.stop()
    assert {"rlcore-multi-gpu-learner", "rlcore-learner-loader"} <= names
    assert result["info"]["timing_breakdown"]["learner_load_wait_time_ms"] >= 0
    assert result["info"]["num_steps_trained"] > 0


class _FakeActor:
    """Records the arguments of ``set_weights.remote`` calls."""

    def __init__(self):
        self.sent = []
        self.set_weights = self

    def remote(self, weights, global_vars):
        self.sent.append((weights, global_vars))


def _broadcast(weights, calls, updated_each_call):
    """Runs ``BroadcastUpdateLearnerWeights`` (interval 1) over ``calls`` batches of one fake worker."""
    from rlcore.dataflow import LocalIterator, SharedMetrics

    class Learner:
        weights_updated = True

    class Local:
        global_vars = None

        def get_weights(self):
            return weights

        def set_global_vars(self, global_vars):
            self.global_vars = global_vars

    class Workers:
        local = Local()

        def local_worker(self):
            return self.local

    learner, actor = Learner(), _FakeActor()
    op = BroadcastUpdateLearnerWeights(learner, Workers(), broadcast_interval=1)

    def mark(item):
        learner.weights_updated = updated_each_call
        return item

    stream = LocalIterator(lambda timeout: iter([(actor, None)] * calls), SharedMetrics())
    stream.for_each(op).for_each(mark).take(calls)
    return actor.sent


def test_small_weights_are_sent_by_value_with_each_call():
    weights = {"default_policy": {"w": np.ones((32, 4), np.float32), "b": np.zeros(32, np.float32)}}
    sent = _broadcast(weights, calls=3, updated_each_call=True)
    assert len(sent) == 3 and all(w is weights for w, _ in sent)
    assert all(g == {"timestep": 0} for _, g in sent)


@pytest.mark.ray
def test_large_weights_are_put_once_per_refresh_and_sent_by_reference(ray_session):
    weights = {"default_policy": {"w": np.arange(100_000, dtype=np.float32)}}  # 400 kB > INLINE_WEIGHTS_BYTES
    sent = _broadcast(weights, calls=3, updated_each_call=False)  # one refresh: the first call's
    refs = [w for w, _ in sent]
    assert all(isinstance(r, ray_session.ObjectRef) for r in refs) and len(set(refs)) == 1
    np.testing.assert_array_equal(ray_session.get(refs[0], timeout=WAIT_S)["default_policy"]["w"],
                                  weights["default_policy"]["w"])
    refreshed = _broadcast(weights, calls=3, updated_each_call=True)
    assert len({w for w, _ in refreshed}) == 3  # a new put per refresh, one per broadcast


# -- failures and stop() --------------------------------------------------------------------------


def test_a_learner_exception_surfaces_in_train_with_its_traceback_and_policy_id(small_config):
    from rlcore.algorithms.a3c.a3c_torch_policy import A3CTorchPolicy

    class ExplodingPolicy(A3CTorchPolicy):
        def learn_on_batch(self, samples):
            raise ArithmeticError("loss exploded in the learner")

    trainer_cls = ImpalaTrainer.with_updates(name="ImpalaExploding", get_policy_class=lambda config: ExplodingPolicy)
    trainer = trainer_cls(config=plan_config(small_config, vtrace=False))
    try:
        with pytest.raises(LearnerThreadError) as info:
            for _ in range(3):
                trainer.train()
    finally:
        trainer.stop()
    message = str(info.value)
    assert "while training policy 'default_policy'" in message
    assert "ArithmeticError: loss exploded in the learner" in message and "in learn_on_batch" in message
    assert isinstance(info.value.__cause__, ArithmeticError)


def test_stop_joins_the_learner_thread(small_config, tmp_path):
    before = {t.ident for t in threading.enumerate()}
    trainer = ImpalaTrainer(config=plan_config(small_config), logger_creator=lambda config: DirLogger(tmp_path))
    learner_threads = [t for t in threading.enumerate() if t.name == "rlcore-learner"]
    trainer.train()
    trainer.stop()
    assert len(learner_threads) == 1 and not learner_threads[0].is_alive()
    assert {t.ident for t in threading.enumerate() if t.is_alive()} <= before


# -- remote workers (Ray) --------------------------------------------------------------------------
#
# Each 2-worker trainer costs two worker processes (several seconds each on a loaded 2-core box), so
# the 2-worker checks share two runs, made once per module and stopped before any test reads them:
# - ``ignore_run``: broadcast_interval=3 and ignore_worker_failures; two iterations (the broadcast
#   checks), then one worker is killed and two more iterations run (the failure checks);
# - ``recreate_run``: recreate_failed_workers, made after ``ignore_run`` stopped (so Ray's client
#   threads already exist); the same kill, then ``stop()``, with Python threads and Ray actors
#   counted before the trainer was made and after it stopped (a recreated worker must go too).


def _kill_one_worker_and_train(ray, trainer, run):
    """Records ``first`` (already in ``run``), kills a remote worker, records ``second`` and ``third``."""
    run["victim"] = trainer.workers.remote_workers()[0]
    ray.kill(run["victim"])
    run["second"] = trainer.train()
    run["third"] = trainer.train()
    run["learners"] = [t for t in threading.enumerate() if t.name == "rlcore-learner" and t.is_alive()]
    run["remote_workers_after"] = list(trainer.workers.remote_workers())


@pytest.fixture(scope="module")
def ignore_run(ray_session):
    config = plan_config(_small_config, num_workers=2, broadcast_interval=3, timesteps_per_iteration=1000,
                         ignore_worker_failures=True)
    run = {"actors_at_start": live_actor_classes(ray_session)}
    trainer = ImpalaTrainer(config=config)
    try:
        # Weights (with the global timestep) go to the worker whose batch completes a broadcast
        # interval: on a busy machine a worker that started late may have had none after two
        # iterations, so up to 18 more run until each worker has had one (the test checks they all
        # did; with 2 xdist workers and their Ray clusters on 2 cores, 6 in all was once too few).
        run["broadcast_results"] = [trainer.train() for _ in range(2)]
        while True:
            run["remote_timesteps"] = ray_session.get(
                [w.apply.remote(lambda w: w.global_vars["timestep"]) for w in trainer.workers.remote_workers()],
                timeout=WAIT_S)
            if all(run["remote_timesteps"]) or len(run["broadcast_results"]) == 20:
                break
            run["broadcast_results"].append(trainer.train())
        run["first"] = run["broadcast_results"][-1]
        _kill_one_worker_and_train(ray_session, trainer, run)
    finally:
        trainer.stop()
    return run


@pytest.fixture(scope="module")
def recreate_run(ray_session, ignore_run, tmp_path_factory, settled_actor_classes):
    # ignore_run (made and stopped first) is the warm-up: Ray's client threads start with the first remote call.
    # Its actors are counted gone once they left Ray's actor table (ray.kill is asynchronous: on a busy
    # machine a stopped worker is still listed alive for a while), not when its stop() returned.
    run = {"threads_before": threading.active_count(),
           "actors_before": settled_actor_classes(ray_session, ignore_run["actors_at_start"])}
    logdir = tmp_path_factory.mktemp("impala_recreate")
    trainer = ImpalaTrainer(config=plan_config(_small_config, num_workers=2, recreate_failed_workers=True),
                            logger_creator=lambda config: DirLogger(logdir))
    try:
        run["first"] = trainer.train()
        run["actors_while_training"] = live_actor_classes(ray_session)
        _kill_one_worker_and_train(ray_session, trainer, run)
        run["actors_after_recreation"] = live_actor_classes(ray_session)
    finally:
        trainer.stop()
    run["threads_after"] = threading.active_count()
    run["actors_after"] = settled_actor_classes(ray_session, run["actors_before"])
    return run


@pytest.mark.ray
def test_two_workers_broadcast_weights_every_broadcast_interval_batches(ignore_run):
    results = ignore_run["broadcast_results"]
    info = results[-1]["info"]
    batches_enqueued = info["num_steps_sampled"] // 100
    assert 0 < info["num_weight_broadcasts"] <= batches_enqueued // 3 + 1
    assert info["num_steps_trained"] <= info["num_steps_sampled"]
    assert results[-1]["num_healthy_workers"] == 2
    assert all(0 < t <= info["num_steps_sampled"] for t in ignore_run["remote_timesteps"])


@pytest.mark.ray
def test_tree_aggregation_gathers_through_an_aggregation_actor(ray_session, small_config, settled_actor_classes):
    # One rollout worker behind the one aggregation actor: the aggregation path without a second worker process.
    config = plan_config(small_config, num_workers=1, num_cpus_per_worker=0.5, num_aggregation_workers=1)
    trainer = ImpalaTrainer(config=config)
    try:
        assert "AggregatorWorker" in live_actor_classes(ray_session)
        result = trainer.train()
    finally:
        trainer.stop()
    info = result["info"]
    assert info["num_steps_sampled"] >= 500 and 0 < info["num_steps_trained"] <= info["num_steps_sampled"]
    assert info["num_weight_broadcasts"] > 0
    assert "AggregatorWorker" not in settled_actor_classes(ray_session, [c for c in live_actor_classes(ray_session)
                                                                         if c != "AggregatorWorker"])


@pytest.mark.ray
def test_stop_leaves_no_thread_or_actor_behind(recreate_run):
    # Two more actors while training, also after one was killed and recreated; none and no thread after stop().
    assert len(recreate_run["actors_while_training"]) == len(recreate_run["actors_before"]) + 2
    assert len(recreate_run["actors_after_recreation"]) == len(recreate_run["actors_before"]) + 2
    assert recreate_run["threads_after"] == recreate_run["threads_before"]
    assert recreate_run["actors_after"] == recreate_run["actors_before"]


@pytest.mark.ray
@pytest.mark.parametrize("setting", ["ignore_worker_failures", "recreate_failed_workers"])
def test_a_dead_worker_is_dropped_or_recreated_and_counters_go_on(request, setting):
    run = request.getfixturevalue("ignore_run" if setting == "ignore_worker_failures" else "recreate_run")
    first, second, third = run["first"], run["second"], run["third"]
    assert run["victim"] not in run["remote_workers_after"] or not run["remote_workers_after"]
    assert second["num_healthy_workers"] == (1 if setting == "ignore_worker_failures" else 2)
    for before, after in ((first, second), (second, third)):
        assert after["info"]["num_steps_sampled"] > before["info"]["num_steps_sampled"]
        assert after["info"]["num_steps_trained"] >= before["info"]["num_steps_trained"]
        assert after["info"]["num_steps_trained"] <= after["info"]["num_steps_sampled"]
        assert after["info"]["num_steps_sampled"] % 50 == 0  # whole fragments: health-check samples not counted
    assert len(run["learners"]) == 1  # the old plan's learner was stopped when the plan was rebuilt

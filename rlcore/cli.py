"""The ``rlcore`` command (also installed as ``rllib``): ``train`` and ``rollout``, RLlib 1.x flags.

``rlcore train --run=PPO --env=CartPole-v1 --stop='{"episode_reward_mean": 150}'`` trains in this
process by default: ``num_workers`` is 0 unless the config sets it, and neither Ray nor Tune is
started; each iteration prints one progress line (iteration, mean reward, timesteps, env steps per
second) and every checkpoint its path. The trial folder, ``<local-dir>/<experiment>/<run>_<env>_<date>``
(``--local-dir`` defaults to ``~/ray_results``), gets what Tune would write there: ``params.json``,
``result.json``, ``progress.csv`` and TensorBoard event files (:mod:`rlcore.trial_logger`), and Tune's
own console messages stay out of the console. Ray Tune runs the experiment instead when it is asked for:
``num_workers > 0``, ``--ray-address``, ``--num-samples > 1`` or a ``grid_search`` in the config.
``-f experiments.yaml`` reads RLlib's tuned-example format (one or more named experiments).

``rlcore rollout CHECKPOINT --run=PPO --env=CartPole-v1 --steps=N --episodes=N`` restores a
trainer and plays episodes with its policies (:func:`rlcore.rollout.rollout`: single- and
multi-agent envs, recurrent policies), printing one line per episode.

Stop criteria work as Tune's: training stops when any key of the result (``a/b`` reaches nested
keys) reaches its value. An unknown algorithm, env id or config key, a wrong type or a corrupt
checkpoint prints one ``rlcore: error: ...`` line (with the closest valid name when there is
one) and exits with status 1.

Examples:
    >>> args = create_parser().parse_args(["train", "--run", "PPO", "--env", "CartPole-v1", "--torch"])
    >>> experiments_from_args(args)["default"]["config"]
    {'env': 'CartPole-v1', 'num_workers': 0, 'framework': 'torch'}
    >>> should_stop({"training_iteration": 3, "info": {"x": 1}}, {"info/x": 1})
    True
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import math
import os
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

logger = logging.getLogger("rlcore.cli")


class CLIError(ValueError):
    """A user error the CLI reports in one line."""


# -- parser -------------------------------------------------------------------------------------


def _json_arg(flag: str):
    def parse(text: str) -> Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise argparse.ArgumentTypeError(f"{flag} is not valid JSON ({err.msg} at column {err.colno}): {text!r}")
        if not isinstance(value, dict):
            raise argparse.ArgumentTypeError(f"{flag} must be a JSON object, got {text!r}")
        return value

    return parse


def create_parser() -> argparse.ArgumentParser:
    """The argument parser of ``rlcore`` / ``rllib``."""
    parser = argparse.ArgumentParser(prog="rlcore", description="Train or roll out RL algorithms (RLlib 1.x CLI).")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train an algorithm on an env")
    train.add_argument("--run", help="algorithm name, e.g. PPO (required unless given in -f)")
    train.add_argument("--env", help="gymnasium id or registered env name")
    train.add_argument("--config", type=_json_arg("--config"), default={},
                       help="trainer config (JSON); with -f, updates each experiment's config")
    train.add_argument("--stop", type=_json_arg("--stop"), default={}, help="stop criteria (JSON), Tune semantics")
    train.add_argument("-f", "--config-file", help="YAML experiments file (overrides the trial flags)")
    train.add_argument("--experiment-name", default="default", help="subdirectory of --local-dir")
    train.add_argument("--local-dir", help="where results go (default: ~/ray_results); with -f, for the "
                       "experiments that set none")
    train.add_argument("--num-samples", type=int, default=1, help="trials to run (more than 1 uses Ray Tune)")
    train.add_argument("--checkpoint-freq", type=int, default=0, help="checkpoint every N iterations (0: off)")
    train.add_argument("--checkpoint-at-end", action="store_true", help="checkpoint when training stops")
    train.add_argument("--keep-checkpoints-num", type=int, default=None, help="keep only the N newest (Tune)")
    train.add_argument("--restore", help="checkpoint to restore before training")
    train.add_argument("--framework", choices=["tf", "tf2", "tfe", "torch"], help="overrides the config")
    train.add_argument("--torch", action="store_true", help="framework=torch")
    train.add_argument("--eager", action="store_true", help="framework=tfe (TensorFlow 2 eager)")
    train.add_argument("--trace", action="store_true", help="eager_tracing=True (TensorFlow only)")
    train.add_argument("--ray-address", help="join the Ray cluster at this address (uses Ray Tune)")
    train.add_argument("--ray-num-cpus", type=int, default=None, help="CPUs of a new local Ray cluster")
    train.add_argument("--ray-num-gpus", type=int, default=None, help="GPUs of a new local Ray cluster")
    train.add_argument("-v", action="count", default=0, help="-v: INFO logs, -vv: DEBUG logs")

    rollout = sub.add_parser("rollout", help="play episodes with a trained checkpoint")
    rollout.add_argument("checkpoint", help="checkpoint directory or checkpoint-<n> file")
    rollout.add_argument("--run", required=True, help="algorithm that wrote the checkpoint, e.g. PPO")
    rollout.add_argument("--env", help="env (default: the one in the checkpoint's config)")
    rollout.add_argument("--steps", type=int, default=10000, help="stop after this many env steps (0: no limit)")
    rollout.add_argument("--episodes", type=int, default=0, help="stop after this many episodes (0: no limit)")
    rollout.add_argument("--config", type=_json_arg("--config"), default={}, help="config overrides (JSON)")
    rollout.add_argument("--no-render", action="store_true", help="accepted for RLlib compatibility; "
                         "rlcore does not render")
    rollout.add_argument("--video-dir", help="RLlib 1.x's episode videos: not available here (an error "
                         "naming what is missing)")
    rollout.add_argument("--out", help="write the episodes' steps to this file (msgpack: a list of episodes, "
                         "each a list of [obs, action, next_obs, reward, done(, info)] rows)")
    rollout.add_argument("--save-info", action="store_true", help="--out also keeps each step's info dict")
    rollout.add_argument("--use-shelve", action="store_true", help="--out is a shelve (pickle), one entry per episode")
    rollout.add_argument("--track-progress", action="store_true", help="keep __progress_<out> updated")
    rollout.add_argument("-v", action="count", default=0)
    return parser


# -- experiments --------------------------------------------------------------------------------


def _load_yaml(path: str) -> Dict[str, Any]:
    import yaml

    try:
        with open(os.path.expanduser(path)) as f:
            data = yaml.safe_load(f)
    except FileNotFoundError:
        raise CLIError(f"experiments file {path!r} does not exist") from None
    except yaml.YAMLError as err:
        raise CLIError(f"experiments file {path!r} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise CLIError(f"experiments file {path!r}: expected {{experiment_name: {{run: ..., env: ..., config: ...}}}}")
    return data


_EXPERIMENT_KEYS = {"run", "env", "stop", "config", "checkpoint_freq", "checkpoint_at_end", "keep_checkpoints_num",
                    "checkpoint_score_attr", "local_dir", "storage_path", "num_samples", "restore",
                    "resources_per_trial", "upload_dir", "max_failures"}


def experiments_from_args(args: argparse.Namespace) -> Dict[str, Dict[str, Any]]:
    """RLlib's experiment dicts from the flags (or ``-f``), with ``env`` and framework put in the config."""
    if args.config_file:
        experiments = _load_yaml(args.config_file)
        for exp in experiments.values():  # rlcore: --config and --local-dir apply to -f's experiments too
            if isinstance(exp, dict):
                if args.config:
                    exp["config"] = {**dict(exp.get("config") or {}), **args.config}
                if args.local_dir and not (exp.get("local_dir") or exp.get("storage_path")):
                    exp["local_dir"] = args.local_dir
    else:
        experiments = {args.experiment_name: {
            "run": args.run, "env": args.env, "stop": args.stop, "config": dict(args.config),
            "checkpoint_freq": args.checkpoint_freq, "checkpoint_at_end": args.checkpoint_at_end,
            "keep_checkpoints_num": args.keep_checkpoints_num, "local_dir": args.local_dir,
            "num_samples": args.num_samples, "restore": args.restore}}
    out = {}
    for name, exp in experiments.items():
        unknown = sorted(set(exp) - _EXPERIMENT_KEYS)
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(_EXPERIMENT_KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CLIError(f"experiment {name!r}: unknown key {unknown[0]!r}{hint}")
        exp = {k: v for k, v in exp.items() if v is not None}
        config = dict(exp.get("config") or {})
        if not exp.get("run"):
            raise CLIError(f"experiment {name!r}: no algorithm: pass --run (e.g. --run=PPO)")
        env = exp.pop("env", None) or config.get("env")
        if not env:
            raise CLIError(f"experiment {name!r}: no env: pass --env (e.g. --env=CartPole-v1)")
        config["env"] = env
        config.setdefault("num_workers", 0)
        if args.torch:
            config["framework"] = "torch"
        elif args.eager:
            config["framework"] = "tfe"
        if args.framework:
            config["framework"] = args.framework
        if args.trace:
            if config.get("framework", "tf") == "torch":
                raise CLIError("--trace needs a TensorFlow framework (tf, tf2 or tfe), not torch")
            config["eager_tracing"] = True
        if args.v:
            config["log_level"] = "DEBUG" if args.v > 1 else "INFO"
        exp["config"] = config
        exp["stop"] = dict(exp.get("stop") or {})
        out[name] = exp
    return out


def _has_grid_search(value: Any) -> bool:
    if isinstance(value, dict):
        return "grid_search" in value or any(_has_grid_search(v) for v in value.values())
    return False


def needs_tune(exp: Dict[str, Any], args: argparse.Namespace) -> bool:
    """Whether this experiment asks for Ray/Tune (workers, a cluster, several samples or a grid).

    Examples:
        >>> ns = argparse.Namespace(ray_address=None)
        >>> needs_tune({"config": {"num_workers": 0}}, ns), needs_tune({"config": {"num_workers": 2}}, ns)
        (False, True)
    """
    config = exp.get("config") or {}

    def positive(key: str) -> bool:
        value = config.get(key, 0)
        return isinstance(value, int) and not isinstance(value, bool) and value > 0

    return (positive("num_workers") or positive("evaluation_num_workers") or bool(args.ray_address)
            or int(exp.get("num_samples", 1)) > 1 or _has_grid_search(config))


# -- stop criteria and progress -----------------------------------------------------------------


def _lookup(result: Dict[str, Any], key: str) -> Any:
    value: Any = result
    for part in key.split("/"):
        if not isinstance(value, dict) or part not in value:
            return KeyError
        value = value[part]
    return value


def should_stop(result: Dict[str, Any], stop: Dict[str, Any]) -> bool:
    """Tune's stop rule: any ``stop`` key whose result value reached (``>=``) its target.

    Raises:
        CLIError: For a stop key the result does not have (naming the closest key).
    """
    for key, target in stop.items():
        value = _lookup(result, key)
        if value is KeyError:
            close = difflib.get_close_matches(key, list(result), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CLIError(f"stop criterion {key!r} is not a key of the result{hint}")
        try:
            if value >= target:
                return True
        except TypeError:
            raise CLIError(f"stop criterion {key}={target!r} cannot be compared with the result's {value!r}") from None
    return False


def _fmt(x: Any, spec: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return format("nan", ">" + spec.split(".")[0])
    return format(x, spec)


def progress_line(result: Dict[str, Any]) -> str:
    """One line per iteration: iteration, mean reward, timesteps, env steps per second.

    Examples:
        >>> progress_line({"training_iteration": 2, "episode_reward_mean": 21.5, "timesteps_total": 8000,
        ...                "timesteps_this_iter": 4000, "time_this_iter_s": 2.0, "time_total_s": 4.0})
        'iter    2  reward     21.50  timesteps      8000  2000 steps/s  total 4.0 s'
    """
    dt = result.get("time_this_iter_s") or 0.0
    steps = result.get("timesteps_this_iter") or 0
    rate = steps / dt if dt else 0.0
    return (f"iter {result.get('training_iteration', 0):4d}  reward {_fmt(result.get('episode_reward_mean'), '9.2f')}"
            f"  timesteps {result.get('timesteps_total') or 0:9d}  {rate:.0f} steps/s"
            f"  total {result.get('time_total_s', 0.0):.1f} s")


# -- train --------------------------------------------------------------------------------------


def _results_root(exp: Dict[str, Any]) -> str:
    """The experiment's ``local_dir`` (or ``storage_path``), else Ray's ``~/ray_results``; absolute."""
    from rlcore.trial_logger import default_results_dir

    return os.path.abspath(os.path.expanduser(exp.get("local_dir") or exp.get("storage_path") or default_results_dir()))


def _train_in_process(name: str, exp: Dict[str, Any], out=None) -> None:
    out = out or sys.stdout
    from rlcore.registry import get_trainer_class
    from rlcore.trial_logger import TrialLogger, trial_dir_name

    cls = get_trainer_class(exp["run"])
    config = dict(exp["config"])
    config.setdefault("num_workers", 0)
    env = config["env"]
    env_name = env if isinstance(env, str) else getattr(env, "__name__", "env")
    logdir = os.path.join(_results_root(exp), name, trial_dir_name(exp["run"], env))
    trainer = cls(config=config, logger_creator=lambda cfg: TrialLogger(logdir))
    print(f"{cls._name} on {env_name}, in one process (num_workers={trainer.config['num_workers']}); "
          f"results in {trainer.logdir}", file=out, flush=True)
    freq, at_end, stop = int(exp.get("checkpoint_freq") or 0), bool(exp.get("checkpoint_at_end")), exp["stop"]
    saved_at = None
    try:
        if exp.get("restore"):
            trainer.restore(os.path.expanduser(exp["restore"]))
            print(f"restored {exp['restore']} at iteration {trainer.iteration}", file=out, flush=True)
        while True:
            result = trainer.train()
            print(progress_line(result), file=out, flush=True)
            if freq and result["training_iteration"] % freq == 0:
                saved_at = _checkpoint(trainer, out)
            if (stop and should_stop(result, stop)) or result.get("done"):
                break
        if at_end and saved_at != trainer.iteration:
            _checkpoint(trainer, out)
    except KeyboardInterrupt:
        print("interrupted", file=out, flush=True)
        if at_end:
            _checkpoint(trainer, out)
    finally:
        trainer.stop()


def _checkpoint(trainer: Any, out) -> int:
    directory = os.path.join(trainer.logdir, f"checkpoint_{trainer.iteration:06d}")
    trainer.save(directory)
    print(f"checkpoint saved: {os.path.join(directory, f'checkpoint-{trainer.iteration}')}", file=out, flush=True)
    return trainer.iteration


def _train_with_tune(experiments: Dict[str, Dict[str, Any]], args: argparse.Namespace, out=None) -> int:
    import ray

    out = out or sys.stdout
    from ray import tune

    from rlcore.registry import get_trainer_class

    started = not ray.is_initialized()
    if started:
        kwargs: Dict[str, Any] = {"include_dashboard": False}
        if args.ray_address:
            kwargs["address"] = args.ray_address
        else:
            kwargs.update(num_cpus=args.ray_num_cpus, num_gpus=args.ray_num_gpus)
        ray.init(**kwargs)
    failed = 0
    try:
        for name, exp in experiments.items():
            cls = get_trainer_class(exp["run"])
            # Resolve config errors here, in one line, rather than inside a Tune trial.
            probe = {k: v for k, v in exp["config"].items() if not _has_grid_search(v)}
            cls.merge_trainer_configs(cls._default_config, probe)
            _check_resources(cls, probe, ray.cluster_resources())
            restore = None
            if exp.get("restore"):  # Tune restores from a checkpoint directory: check it here, in one line
                from rlcore.checkpoints import read_checkpoint

                restore = os.path.dirname(read_checkpoint(os.path.expanduser(exp["restore"]))["path"])
            analysis = tune.run(
                cls, name=name, config=exp["config"], stop=exp["stop"] or None,
                num_samples=int(exp.get("num_samples", 1)), storage_path=_results_root(exp),
                checkpoint_config=tune.CheckpointConfig(
                    checkpoint_frequency=int(exp.get("checkpoint_freq") or 0),
                    checkpoint_at_end=bool(exp.get("checkpoint_at_end")),
                    num_to_keep=exp.get("keep_checkpoints_num")),
                restore=restore,
                resources_per_trial=exp.get("resources_per_trial"), max_failures=int(exp.get("max_failures", 0)),
                verbose=1 + min(args.v, 2), raise_on_failed_trial=False)
            for trial in analysis.trials:
                last = trial.last_result or {}
                status = f"{trial} {trial.status}"
                if last:
                    status += "  " + progress_line(last)
                print(status, file=out, flush=True)
                if trial.checkpoint is not None:
                    print(f"checkpoint saved: {trial.checkpoint.path}", file=out, flush=True)
                failed += trial.status == "ERROR"
    finally:
        if started:
            ray.shutdown()
    return 1 if failed else 0


def _check_resources(cls: Any, config: Dict[str, Any], cluster: Dict[str, float]) -> None:
    """A trial that asks for more CPUs than the cluster has would wait forever: say so instead."""
    need = cls.default_resource_request(config).required_resources.get("CPU", 0)
    have = cluster.get("CPU", 0)
    if need > have:
        raise CLIError(f"one {cls._name} trial needs {need:g} CPUs (driver + num_workers x num_cpus_per_worker) "
                       f"but the Ray cluster has {have:g}; lower num_workers or pass --ray-num-cpus")


def run_train(args: argparse.Namespace, out=None) -> int:
    """``rlcore train``: in this process, or through Ray Tune when Ray is asked for."""
    out = out or sys.stdout
    experiments = experiments_from_args(args)
    if any(needs_tune(exp, args) for exp in experiments.values()):
        return _train_with_tune(experiments, args, out)
    for name, exp in experiments.items():
        _train_in_process(name, exp, out)
    return 0


# -- rollout ------------------------------------------------------------------------------------


def run_rollout(args: argparse.Namespace, out=None) -> int:
    """``rlcore rollout``: restores a checkpoint and plays episodes, one line per episode."""
    out = out or sys.stdout
    from rlcore.checkpoints import read_checkpoint
    from rlcore.registry import get_trainer_class
    from rlcore.rollout import RolloutSaver, rollout

    if args.steps < 0 or args.episodes < 0:
        raise CLIError(f"--steps={args.steps} and --episodes={args.episodes} must be >= 0")
    if args.video_dir:
        from rlcore.rollout import video_problem

        raise CLIError(f"--video-dir {args.video_dir}: {video_problem()}")
    cls = get_trainer_class(args.run)
    state = read_checkpoint(os.path.expanduser(args.checkpoint))
    config = {k: v for k, v in (state.get("config") or {}).items() if k in cls._default_config}
    config.update(args.config)
    if args.env:
        config["env"] = args.env
    if not config.get("env"):
        raise CLIError("no env: pass --env (the checkpoint's config names none)")
    config.update(num_workers=0, evaluation_interval=None, evaluation_num_workers=0, create_env_on_driver=True)
    if args.v:
        config["log_level"] = "DEBUG" if args.v > 1 else "INFO"
    trainer = cls(config=config)
    try:
        trainer.restore(state["path"])
        with RolloutSaver(args.out, use_shelve=args.use_shelve, write_update_file=args.track_progress,
                          target_steps=args.steps, target_episodes=args.episodes, save_info=args.save_info) as saver:
            rollout(trainer, config["env"], num_steps=args.steps, num_episodes=args.episodes, saver=saver, out=out)
    finally:
        trainer.stop()
    return 0


# -- entry point --------------------------------------------------------------------------------


def _quiet_frameworks() -> None:
    for key, value in (("TF_CPP_MIN_LOG_LEVEL", "2"), ("TF_ENABLE_ONEDNN_OPTS", "0"),
                       ("RAY_USAGE_STATS_ENABLED", "0"), ("RAY_AIR_NEW_OUTPUT", "0")):
        os.environ.setdefault(key, value)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the CLI; returns the exit status (0, or 1 after a one-line error)."""
    _quiet_frameworks()
    args = create_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.v > 1 else logging.INFO if args.v else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from rlcore.checkpoints import CheckpointError

    start = time.time()
    try:
        status = run_train(args) if args.command == "train" else run_rollout(args)
    except (CLIError, CheckpointError, ValueError, TypeError, ImportError) as err:
        if args.v > 1:
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"rlcore: error: {message}", file=sys.stderr, flush=True)
        return 1
    logger.info("%s finished in %.1f s", args.command, time.time() - start)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__: List[str] = ["main", "create_parser", "experiments_from_args", "should_stop", "progress_line", "needs_tune"]

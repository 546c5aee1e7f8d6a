"""PolicyServerInput with ``num_workers > 0``: one server per rollout worker at ``port + worker_index``
(the serving example's ``input``), and the trainer trains from what reaches a remote worker's server."""

import os
import socket
import sys
import threading

import numpy as np
import pytest

from rlcore.env.policy_client import PolicyClient

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "serving")
TIMEOUT = 60.0


def _free_port_pair() -> int:
    """A port p with p and p + 1 free on loopback (the local worker's server and worker 1's)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", base))
                b.bind(("127.0.0.1", base + 1))
            return base
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports on loopback")


@pytest.mark.ray
def test_a_client_of_worker_1s_server_feeds_the_trainer(ray_mod):
    sys.path.insert(0, EXAMPLES)
    try:
        import cartpole_client
        import cartpole_server
    finally:
        sys.path.pop(0)
    from rlcore.algorithms.ppo import PPOTrainer

    ray_mod.cloudpickle.register_pickle_by_value(cartpole_server)  # the input creator runs in the worker
    base = _free_port_pair()
    trainer = PPOTrainer(config=cartpole_server.make_config(
        port=base, seed=0, num_workers=1, train_batch_size=400, rollout_fragment_length=100, num_sgd_iter=2,
        sgd_minibatch_size=100, framework_threads_for_driver=1))
    stop = threading.Event()
    rewards = []
    try:
        ports = trainer.workers.foreach_worker(lambda w: (w.worker_index, w.input_reader.port))
        assert sorted(ports) == [(0, base), (1, base + 1)]  # port + worker_index
        client = PolicyClient(f"http://127.0.0.1:{base + 1}", "local", update_interval=None)
        assert client.rollout_worker.worker_index == 1  # worker 1 described itself (GET_WORKER_ARGS)
        player = threading.Thread(target=lambda: rewards.extend(cartpole_client.play(client, seed=0, stop=stop)),
                                  daemon=True)
        player.start()
        results = [trainer.train() for _ in range(2)]
        assert results[-1]["timesteps_total"] >= 800  # two train batches, all from worker 1's client
        assert sum(r["episodes_this_iter"] for r in results) > 0  # its episode metrics reached the trainer
        # the trained weights went back to worker 1, and from its server to the client
        client.update_policy_weights()
        ours = client.rollout_worker.get_policy().get_weights()
        trained = trainer.get_policy().get_weights()
        assert all(np.allclose(ours[k], trained[k]) for k in trained)
        stop.set()
        player.join(TIMEOUT)  # the episode under way ends, then play() returns
        assert rewards and not player.is_alive()
        client.close()
    finally:
        stop.set()
        trainer.stop()
        ray_mod.cloudpickle.unregister_pickle_by_value(cartpole_server)

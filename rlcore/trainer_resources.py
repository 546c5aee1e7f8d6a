"""What a trainer asks Ray Tune for: one bundle for the driver, one per rollout / evaluation worker.

``Trainer.default_resource_request(config)`` returns a :class:`TrainerResources`: a Tune
``PlacementGroupFactory`` (what Tune 2.x schedules trials with) that also reads like the
``ray.tune.resources.Resources`` RLlib 1.x returned: ``cpu``/``gpu``/``memory``/
``object_store_memory`` for the driver (``num_cpus_for_driver``, ``num_gpus``, ``memory``,
``object_store_memory``), ``extra_*`` for all workers together (``num_cpus_per_worker`` and
friends times ``num_workers`` + evaluation workers), ``custom_resources`` /
``extra_custom_resources``, and 1.x's ``to_json()``, ``cpu_total()``, ``gpu_total()``,
``summary_string()``. The bundles: driver ``{"CPU", "GPU", "memory"}`` (``{"CPU": 0.01}`` when
the driver asks for nothing), then one ``{"CPU", "GPU", "memory", custom...}`` per worker, packed
(``"PACK"``). Object store memory is reported but not reserved (Ray 2 schedules no such resource).

Examples:
    >>> r = TrainerResources.from_config({"num_cpus_for_driver": 1, "num_gpus": 0, "num_workers": 2,
    ...                                    "num_cpus_per_worker": 1, "num_gpus_per_worker": 0})
    >>> r.bundles
    [{'CPU': 1.0}, {'CPU': 1.0}, {'CPU': 1.0}]
    >>> r.to_json()["cpu"], r.to_json()["extra_cpu"], r.cpu_total(), r.summary_string()
    (1, 2, 3, '3 CPUs, 0 GPUs')
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

from ray.tune.execution.placement_groups import PlacementGroupFactory

__all__ = ["TrainerResources"]

#: The keys of RLlib 1.x's ``Resources.to_json()``, in its order.
JSON_KEYS = ("cpu", "gpu", "memory", "object_store_memory", "extra_cpu", "extra_gpu", "extra_memory",
             "extra_object_store_memory", "custom_resources", "extra_custom_resources")


def _round(x: float) -> Any:
    return round(x, 2) if isinstance(x, float) else x


class TrainerResources(PlacementGroupFactory):
    """A placement group factory with RLlib 1.x's ``Resources`` view (see the module docstring).

    Build it with :meth:`from_config`.
    """

    def __init__(self, bundles: list, strategy: str, view: Mapping[str, Any]):
        super().__init__(bundles, strategy=strategy)
        for key in JSON_KEYS:
            value = view[key]
            setattr(self, key, {k: _round(v) for k, v in value.items()} if isinstance(value, dict) else _round(value))

    @classmethod
    def from_config(cls, cf: Mapping[str, Any], num_eval_workers: int = 0) -> "TrainerResources":
        """The request for a merged trainer config ``cf`` with ``num_eval_workers`` evaluation workers.

        Raises:
            ValueError: a negative resource amount (naming the key and value).
        """
        def amount(key: str) -> float:
            value = cf.get(key) or 0
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"config key '{key}'={value!r}: expected a number >= 0")
            return value

        n = int(amount("num_workers")) + int(num_eval_workers)
        custom = {k: float(v) for k, v in dict(cf.get("custom_resources_per_worker") or {}).items()}
        for k, v in custom.items():
            if v < 0:
                raise ValueError(f"config key 'custom_resources_per_worker'[{k!r}]={v!r}: expected a number >= 0")
        driver = {"CPU": amount("num_cpus_for_driver"), "GPU": amount("num_gpus"), "memory": amount("memory")}
        worker = {"CPU": amount("num_cpus_per_worker"), "GPU": amount("num_gpus_per_worker"),
                  "memory": amount("memory_per_worker"), **custom}
        driver = {k: v for k, v in driver.items() if v} or {"CPU": 0.01}
        worker = {k: v for k, v in worker.items() if v}
        bundles = [driver] + ([dict(worker) for _ in range(n)] if worker else [])
        view = {
            "cpu": amount("num_cpus_for_driver"), "gpu": amount("num_gpus"), "memory": amount("memory"),
            "object_store_memory": amount("object_store_memory"),
            "extra_cpu": amount("num_cpus_per_worker") * n, "extra_gpu": amount("num_gpus_per_worker") * n,
            "extra_memory": amount("memory_per_worker") * n,
            "extra_object_store_memory": amount("object_store_memory_per_worker") * n,
            "custom_resources": {k: 0 for k in custom}, "extra_custom_resources": {k: v * n for k, v in custom.items()},
        }
        return cls(bundles, strategy=str(cf.get("placement_strategy") or "PACK"), view=view)

    def to_json(self) -> Dict[str, Any]:
        """RLlib 1.x's ``Resources.to_json()``: the ten amounts as a dict."""
        return {k: (dict(getattr(self, k)) if isinstance(getattr(self, k), dict) else getattr(self, k))
                for k in JSON_KEYS}

    def cpu_total(self) -> float:
        """Driver plus worker CPUs."""
        return self.cpu + self.extra_cpu

    def gpu_total(self) -> float:
        """Driver plus worker GPUs."""
        return self.gpu + self.extra_gpu

    def memory_total(self) -> float:
        """Driver plus worker heap memory (bytes)."""
        return self.memory + self.extra_memory

    def object_store_memory_total(self) -> float:
        """Driver plus worker object store memory (bytes)."""
        return self.object_store_memory + self.extra_object_store_memory

    def get_res_total(self, key: str) -> float:
        """Driver plus worker amount of custom resource ``key``."""
        return self.custom_resources.get(key, 0) + self.extra_custom_resources.get(key, 0)

    def summary_string(self) -> str:
        """``"<n> CPUs, <m> GPUs"`` (plus heap / object memory in GiB and custom resources, when set)."""
        text = f"{self.cpu_total():g} CPUs, {self.gpu_total():g} GPUs"
        if self.memory_total():
            text += f", {round(self.memory_total() / 1024 ** 3, 2)} GiB heap"
        if self.object_store_memory_total():
            text += f", {round(self.object_store_memory_total() / 1024 ** 3, 2)} GiB objects"
        custom = ", ".join(f"{self.get_res_total(k):g} {k}" for k in self.custom_resources)
        return text + (f" ({custom})" if custom else "")

    def __repr__(self) -> str:
        return f"TrainerResources({self.summary_string()}; bundles={self.bundles}, strategy={self.strategy!r})"

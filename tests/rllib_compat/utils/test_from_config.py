"""rllib_compat.utils.from_config: RLlib 1.x's constructor hints."""

import json

import pytest

from rllib_compat.utils.from_config import from_config


class Base:
    __type_registry__ = {}

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class Child(Base):
    pass


Base.__type_registry__["child"] = Child


def test_none_dict_kwargs_and_args():
    obj = from_config(Base, {"a": 1, "_args": [5]}, b=2)
    assert type(obj) is Base and obj.args == (5,) and obj.kwargs == {"a": 1, "b": 2}
    assert from_config(Base, {"a": 1}, a=3).kwargs == {"a": 3}  # kwargs win
    assert type(from_config(Base)) is Base


def test_registry_callables_instances_and_false():
    assert type(from_config(Base, {"type": "Child"})) is Child  # a name in Base's module
    assert type(from_config(Base, {"type": "CHILD"})) is Child  # the registry, case-folded
    made = from_config(Base, {"type": lambda **kw: ("built", kw), "x": 1})
    assert made == ("built", {"x": 1})
    existing = Child()
    assert from_config(Base, existing) is existing
    assert from_config(Base, False) is False


def test_strings_paths_json_yaml_and_files(tmp_path, monkeypatch):
    od = from_config(None, '{"type": "collections.OrderedDict", "k": 1}')
    assert type(od).__name__ == "OrderedDict" and od["k"] == 1
    assert from_config(Base, "type: Child\nz: 3").kwargs == {"z": 3}
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.json").write_text(json.dumps({"type": "Child", "q": 1}))
    (tmp_path / "spec.yaml").write_text("type: Child\nq: 2\n")
    assert from_config(Base, "spec.json").kwargs == {"q": 1}
    assert from_config(Base, "spec.yaml").kwargs == {"q": 2}
    with pytest.raises(FileNotFoundError, match="file 'missing.json' not found"):
        from_config(Base, "missing.json")


def test_abstract_constructor_gives_none_and_errors_are_named():
    import abc

    class Shape(abc.ABC):
        @abc.abstractmethod
        def area(self):
            ...

    assert from_config(Shape) is None
    with pytest.raises(ValueError, match="string specifier 'Nope' must be"):
        from_config(Base, "Nope")
    with pytest.raises(TypeError, match="invalid type 3"):
        from_config(Base, {"type": 3})

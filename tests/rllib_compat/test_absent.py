"""absent(): one plain message for a 1.x feature that cannot exist here, naming the replacement."""

import pytest

from rllib_compat._absent import AbsentFeatureError, absent


def test_message_names_the_feature_the_reason_and_the_replacement_once():
    with pytest.raises(AbsentFeatureError) as info:
        absent("policy.get_session()", "call the policy's methods; TF2 runs eagerly", reason="there are no TF1 sessions")
    message = str(info.value)
    assert message == ("policy.get_session() (RLlib 1.x) does not exist in rllib_compat (there are no TF1 "
                       "sessions); instead, call the policy's methods; TF2 runs eagerly.")
    assert message.count("get_session") == 1 and info.value.__cause__ is None and info.value.__context__ is None


def test_it_is_a_runtime_error_not_a_not_implemented_error():
    with pytest.raises(AbsentFeatureError) as info:
        absent("x", "y.")
    assert isinstance(info.value, RuntimeError) and not isinstance(info.value, NotImplementedError)
    assert str(info.value).endswith("instead, y.")


@pytest.mark.parametrize("feature, replacement", [("", "y"), ("x", None), ("x", "  ")])
def test_feature_and_replacement_must_be_text(feature, replacement):
    with pytest.raises(TypeError, match=r"absent\((feature|replacement)="):
        absent(feature, replacement)


def test_ray_init_local_mode_names_num_workers_0():
    import ray

    import rllib_compat  # noqa: F401  (installs the guard once ray is imported)

    was_up = ray.is_initialized()
    with pytest.raises(AbsentFeatureError, match=r"^ray.init\(local_mode=True\) \(RLlib 1.x\) does not exist in "
                                                 r"rllib_compat \(Ray 2.x removed local mode\); instead, drop local_mode "
                                                 r"and set the trainer config's num_workers=0: .* in this process\.$"):
        ray.init(local_mode=True, num_cpus=1)
    assert ray.is_initialized() == was_up and ray.init.__wrapped__ is ray._private.worker.init

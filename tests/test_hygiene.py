"""The test suite itself: no test hides a failure, and results go under ``tmp_path``.

Read statically from every ``tests/**/test_*.py``:

- an import failure fails: no ``pytest.importorskip`` (torch and tensorflow are test
  dependencies, so a broken install fails the suite) and no ``except ImportError`` that skips;
- nothing is skipped at run time (``pytest.skip()`` in a test, ``@pytest.mark.skip``): a condition
  known before the run is a ``skipif`` marker, listed by ``pytest -rs``;
- every test checks something: an ``assert``, ``pytest.raises``/``warns``, an ``assert_*`` /
  ``check*`` call, or a helper of its module that does;
- no ``time.sleep`` in a test's own body: waiting is on an event, a barrier or a result, with a
  timeout (sleeps inside helpers that simulate slow work are fine).
"""

from __future__ import annotations

import ast
import pathlib

import pytest

TESTS = pathlib.Path(__file__).parent
TEST_FILES = sorted(TESTS.rglob("test_*.py"))
_CHECK_CALLS = {"raises", "warns", "deprecated_call", "fail"}


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        base = func.value.id if isinstance(func.value, ast.Name) else ""
        return f"{base}.{func.attr}" if base else func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _calls(node: ast.AST):
    return (n for n in ast.walk(node) if isinstance(n, ast.Call))


def _own_body_calls(func: ast.AST):
    """Calls in ``func``'s own body, not in the functions, lambdas or classes it defines."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _checks(func: ast.AST, checking_helpers: set) -> bool:
    if any(isinstance(n, ast.Assert) for n in ast.walk(func)):
        return True
    for call in _calls(func):
        short = _call_name(call).rsplit(".", 1)[-1]
        if short in _CHECK_CALLS or short.startswith(("assert", "check", "_check")) or short in checking_helpers:
            return True
    return False


def _handles_import_error(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(k, ast.Name) and k.id in ("ImportError", "ModuleNotFoundError") for k in kinds)


def violations(path: pathlib.Path) -> list[str]:
    """What hides a failure in the test module at ``path``, one line each."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for call in _calls(tree):
        name = _call_name(call)
        if name == "pytest.importorskip":
            module = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else None
            found.append(f"line {call.lineno}: importorskip({module!r}) turns an import failure into a skip")
        elif name in ("pytest.skip", "pytest.xfail"):
            found.append(f"line {call.lineno}: {name}() at run time (use a skipif marker)")
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None and _handles_import_error(node):
            if any(_call_name(c) in ("pytest.skip", "pytest.xfail") for c in _calls(node)):
                found.append(f"line {node.lineno}: an ImportError becomes a skip")
        if isinstance(node, ast.Attribute) and node.attr == "skip" and getattr(node.value, "attr", None) == "mark":
            found.append(f"line {node.lineno}: @pytest.mark.skip: the test never runs")

    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    helpers = {f.name: f for f in functions if not f.name.startswith("test")}
    checking: set = set()
    while True:  # helpers that check, directly or through other helpers
        more = {name for name, f in helpers.items() if name not in checking and _checks(f, checking)}
        if not more:
            break
        checking |= more
    for f in functions:
        if not f.name.startswith("test"):
            continue
        if not _checks(f, checking):
            found.append(f"line {f.lineno}: {f.name} asserts nothing")
        for call in _own_body_calls(f):
            if _call_name(call) in ("time.sleep", "sleep"):
                found.append(f"line {call.lineno}: {f.name} sleeps to synchronise (wait on an event with a timeout)")
    return found


@pytest.mark.parametrize("path", TEST_FILES, ids=[str(p.relative_to(TESTS)) for p in TEST_FILES])
def test_no_test_hides_a_failure(path):
    assert violations(path) == []


@pytest.mark.parametrize("source, expected", [
    ("def test_a():\n    x = 1\n", ["line 1: test_a asserts nothing"]),
    ("def check(x):\n    assert x\n\ndef test_a():\n    check(1)\n", []),
    ("import pytest\ndef test_a():\n    m = pytest.importorskip('rlcore.ops')\n    assert m\n",
     ["line 3: importorskip('rlcore.ops') turns an import failure into a skip"]),
    ("import pytest\ndef test_a():\n    torch = pytest.importorskip('torch')\n    assert torch\n",
     ["line 3: importorskip('torch') turns an import failure into a skip"]),
    ("import pytest\ndef test_a():\n    try:\n        import x\n    except ImportError:\n        pytest.skip('no x')\n"
     "    assert x\n", ["line 6: pytest.skip() at run time (use a skipif marker)", "line 5: an ImportError becomes a skip"]),
    ("import time\ndef test_a():\n    time.sleep(1)\n    assert 1\n",
     ["line 3: test_a sleeps to synchronise (wait on an event with a timeout)"]),
    ("import time\ndef test_a():\n    def work():\n        time.sleep(1)\n    assert work() is None\n", []),
    ("import pytest\n@pytest.mark.skip\ndef test_a():\n    assert 1\n", ["line 2: @pytest.mark.skip: the test never runs"]),
])
def test_violations_finds_each_kind(tmp_path, source, expected):
    path = tmp_path / "test_sample.py"
    path.write_text(source)
    assert violations(path) == expected


def test_results_root_is_this_tests_tmp_path(tmp_path, results_under_tmp_path):
    """The root conftest points rlcore's and Tune's default results root at ``tmp_path``."""
    from ray import tune

    from rlcore.trial_logger import default_results_dir

    assert results_under_tmp_path == default_results_dir() == str(tmp_path / "ray_results")
    assert tune.RunConfig().storage_path == results_under_tmp_path

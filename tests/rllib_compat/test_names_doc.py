"""Issue #12 done-when 4: the names page (rllib_compat/README.md) exists, is linked, and tells the truth.

Every table row whose verdict is "present" must import from its 1.x path with every name it lists;
every row whose verdict is plain "absent:" must not (so the page has to change when a later issue
adds the feature).
"""

import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = ROOT / "rllib_compat" / "README.md"
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _rows():
    rows = []
    for line in PAGE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("1.x", "---") or not cells[0].startswith("`"):
            continue
        rows.append(tuple(cells))
    return rows


def _module_paths(cell):
    """``ray.rllib`` -> ``rllib_compat``; ``agents.ppo`` -> ``rllib_compat.agents.ppo`` (one or more, comma-separated)."""
    paths = []
    for part in re.findall(r"`([^`]+)`", cell):
        if not IDENT.match(part) or part.startswith(("ray.tune", "ray.init")) or "*" in part:
            return []
        paths.append("rllib_compat" if part == "ray.rllib" else
                     "rllib_compat." + part[len("ray.rllib."):] if part.startswith("ray.rllib.") else "rllib_compat." + part)
    return paths


def _names(cell):
    """The identifiers a names cell lists, each with the spellings to try.

    ``f(args)`` counts as ``f``; strings and commands are skipped. A bare name after a dotted one
    may belong to the same owner (``Trainer.train``, ``compute_action``): both spellings are tried.
    """
    out, prefix = [], ""
    for token in re.findall(r"`([^`]+)`", cell):
        token = token.split("(")[0]
        if not IDENT.match(token):
            continue
        if "." in token:
            prefix = token.rsplit(".", 1)[0]
            out.append((token,))
        else:
            out.append((token, f"{prefix}.{token}") if prefix else (token,))
    return out


def _resolves(module, spellings):
    for dotted in spellings:
        try:
            _resolve(module, dotted)
        except (AttributeError, ImportError):
            continue
        return True
    return False


def _resolve(module_name, dotted):
    """``module_name`` then each attribute of ``dotted``, importing submodules of packages on the way."""
    obj = importlib.import_module(module_name)
    for part in dotted.split("."):
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif isinstance(obj, type(importlib)):
            obj = importlib.import_module(f"{obj.__name__}.{part}")
        else:
            raise AttributeError(f"{obj!r} has no attribute {part!r}")
    return obj


# A row may name several modules (``a``, ``b``): each name must be found in one of them.
PRESENT = [(tuple(_module_paths(path)), n) for path, names, here in _rows() if here.startswith("present")
           if _module_paths(path) for n in _names(names)]
ABSENT = [(tuple(_module_paths(path)), n) for path, names, here in _rows() if here.startswith("absent:")
          if _module_paths(path) for n in _names(names)]


def test_page_exists_and_the_readme_links_it():
    assert PAGE.is_file() and len(_rows()) > 100
    assert "(rllib_compat/README.md)" in (ROOT / "README.md").read_text()


def _importable(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("modules,names", PRESENT, ids=[f"{m[0]}:{n[-1]}" for m, n in PRESENT])
def test_present_names_import_from_their_1x_path(modules, names):
    assert any(_resolves(m, names) for m in modules), f"{modules}: none of {names} resolves"


@pytest.mark.parametrize("modules,names", ABSENT, ids=[f"{m[0]}:{n[-1]}" for m, n in ABSENT])
def test_absent_names_are_really_absent(modules, names):
    present = [m for m in modules if _importable(m) and _resolves(m, names)]
    assert not present, f"{names} exists in {present}; the page says absent"

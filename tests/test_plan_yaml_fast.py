"""The event-driven YAML loader gives exactly what PyYAML's loader gives, on random and on tricky documents."""
from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from plantrack.models.plan.file import _Loader
from plantrack.models.plan.yaml_fast import load


def _same(a, b) -> bool:
    """Equal, with NaN equal to NaN and types compared too (1 == 1.0 == True in Python)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _library(text: str):
    return yaml.load(text, Loader=_Loader)


def _check(text: str) -> None:
    try:
        expected = _library(text)
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)):
            load(text, _Loader)
        return
    assert _same(load(text, _Loader), expected), text


# Scalars that YAML 1.1 resolves to something other than a string, and near misses.
WORDS = ["yes", "No", "on", "OFF", "true", "~", "null", "", "0", "007", "0o17", "0x1F", "0b101", "1_000", "+12",
         "-3", "12:30", "1:20:30", "1.5", "-.5", "1e3", "1.0e+3", ".inf", "-.Inf", ".nan", "2024-01-15",
         "15/06/2024", "II.1", "III.4", "VI.1/SYT", "@districts", "Sở Y tế", "a: b", "- x", "#", "'q'", '"q"',
         "<<", "=", "1,5", "0.", "._", "1__0", "0x", "+", "-", "::", "quá hạn"]
scalars = st.one_of(st.sampled_from(WORDS), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                    st.booleans(), st.none(), st.text(max_size=12))
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=8), st.integers(-5, 5))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([None, True, False]), st.booleans())
def test_random_documents_load_as_the_library_loads_them(data, flow, unicode):
    _check(yaml.safe_dump(data, default_flow_style=flow, allow_unicode=unicode))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
def test_plain_scalars_resolve_as_the_library_resolves_them(words):
    # written by hand, unquoted: the resolver decides what each word is
    _check("\n".join(f"k{i}: {w}" for i, w in enumerate(words)) + "\nlist: [" + ", ".join(words) + "]\n")


@pytest.mark.parametrize("text", [
    "a: &x [1, 2]\nb: *x\nc: &s text\nd: *s\n",  # anchors and aliases
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # a merge key: the library's path
    "a: !!str 12\nb: !!float 1\n",  # explicit tags: the library's path
    "? [a, b]\n: c\n",  # a complex key
    "a: 1\n---\nb: 2\n",  # two documents: the library's error
    "a: *nope\n",  # an unknown alias: the library's error
    "a: [b\n",  # a syntax error
    "",  # empty
    "just text\n",
    "- a\n- - b\n  - c\n- {d: e}\n",
    "a:\n  b:\n    c: |\n      line 1\n      line 2\n    d: >\n      folded\n      text\n",
    "a: 1\na: 2\n",  # a repeated key: the last wins, as in the library
    "time: 2024-01-15 10:00:00\n",  # timestamps are not resolved by plan files' loader
    "yes: yes\nno: [no, 'no', no, yes]\n1: 1\n'1': 1\n~: [~, '~', ~]\n0x1F: [0x1F, 0x1F]\n",  # repeats: resolved once
])
def test_tricky_documents(text):
    _check(text)


def test_the_seed_plan_loads_identically():
    from plantrack.config import PLANS_DIR

    for path in sorted(PLANS_DIR.glob("*.yaml")):
        _check(path.read_text(encoding="utf-8"))

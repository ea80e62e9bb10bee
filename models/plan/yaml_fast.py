"""Load YAML as PyYAML's safe loader would, from the C parser's events without building a node tree.

The fast path covers what plan files use (mappings, sequences, anchors, plain and quoted scalars of
the core tags); anything else (explicit tags, merge keys, complex keys, several documents) falls back
to the library's own loader, so the result is always what `yaml.load(text, Loader)` returns
(tests/test_plan_yaml_fast.py checks this on random documents).
"""
from __future__ import annotations

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"


class _Fallback(Exception):
    """The document uses something the fast path leaves to the library."""


def load(text: str, loader_class: type) -> object:
    """The data of the single YAML document in text, as yaml.load(text, Loader=loader_class) gives it."""
    loader = loader_class(text)
    try:
        return _build(loader)
    except _Fallback:
        pass
    finally:
        loader.dispose()
    return yaml.load(text, Loader=loader_class)


def _build(loader) -> object:
    get = loader.get_event
    first_chars = loader.yaml_implicit_resolvers
    if None in first_chars:  # a resolver for any first character: resolve every plain scalar
        first_chars = _Everything()
    resolve = loader.resolve
    bools = loader.bool_values
    get()  # StreamStartEvent
    ev = get()
    if isinstance(ev, StreamEndEvent):
        return None
    anchors: dict[str, object] = {}
    plain: dict[str, object] = {}  # plain scalar text -> its value (str, int, float, bool or None)
    # The stack holds the open containers around the current one; in a mapping, key waits for its value.
    stack: list[tuple] = []
    root: list = []
    container: object = root
    is_map = False
    key: object = _NO_KEY
    while True:
        ev = get()
        cls = ev.__class__
        if cls is ScalarEvent:
            value = ev.value
            tag = ev.tag
            if tag is not None and tag != "!":
                raise _Fallback
            if not ev.style and ev.implicit[0]:  # the C parser gives plain scalars style ''
                # Plain scalar: only values starting with a resolver's first character can be non-strings.
                # Keys and words repeat thousands of times in a plan: each is resolved once.
                try:
                    value = plain[value]
                except KeyError:
                    value = plain[value] = _plain(loader, value, first_chars, resolve, bools)
            if ev.anchor is not None:
                anchors[ev.anchor] = value
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if ev.tag is not None and ev.tag not in ("!", MAP if cls is MappingStartEvent else SEQ):
                raise _Fallback
            value = {} if cls is MappingStartEvent else []
            if ev.anchor is not None:
                anchors[ev.anchor] = value
            if is_map:
                if key is _NO_KEY:
                    raise _Fallback  # a mapping or sequence as a key
                container[key] = value
            else:
                container.append(value)
            stack.append((container, is_map))
            container, is_map, key = value, cls is MappingStartEvent, _NO_KEY
            continue
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            container, is_map = stack.pop()
            key = _NO_KEY  # a container's own key was used when it opened
            continue
        elif cls is AliasEvent:
            try:
                value = anchors[ev.anchor]
            except KeyError:
                raise _Fallback from None  # the library reports the unknown alias with its place
            if isinstance(value, (dict, list)) and is_map and key is _NO_KEY:
                raise _Fallback
        elif cls is DocumentEndEvent:
            if not isinstance(get(), StreamEndEvent):
                raise _Fallback  # a second document: the library raises its error
            return root[0] if root else None
        else:
            raise _Fallback
        # A scalar or an alias: a key, a value of a mapping, or an item of a sequence.
        if is_map:
            if key is _NO_KEY:  # scalars hash; an alias of a mapping or sequence fell back above
                key = value
            else:
                container[key] = value
                key = _NO_KEY
        else:
            container.append(value)


def _plain(loader, value: str, first_chars, resolve, bools) -> object:
    """The value of a plain scalar, as the library's resolver and constructors make it."""
    if value and value[0] not in first_chars:
        return value
    tag = resolve(ScalarNode, value, (True, False))
    if tag == STR:
        return value
    if tag == NULL:
        return None
    if tag == INT:
        return int(value) if value.isdigit() and (value[0] != "0" or value == "0") else \
            loader.construct_yaml_int(ScalarNode(tag, value))
    if tag == FLOAT:
        return loader.construct_yaml_float(ScalarNode(tag, value))
    if tag == BOOL:
        return bools[value.lower()]
    raise _Fallback  # merge keys, timestamps, values: the library knows them


class _Everything:
    def __contains__(self, item) -> bool:
        return True


class _NoKey:
    __slots__ = ()


_NO_KEY = _NoKey()


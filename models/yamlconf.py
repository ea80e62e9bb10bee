"""Shipped configuration files in YAML, read with the line of every key so errors name file and line."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """Safe YAML without implicit timestamps (dates stay text so a bad one gets a located message) and
    with only true/false as booleans (YAML 1.1 would read `kind: off` as False)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


class ConfigFileError(ValueError):
    """A configuration file that cannot be used; every line of str(self) is 'file:line: message'."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class Located:
    """The data of one YAML file and the line of each path in it (keys and list indexes)."""

    def __init__(self, path: Path, data, lines: dict[tuple, int]):
        self.path, self.data, self._lines = path, data, lines

    def line(self, *loc) -> int:
        """The line of the deepest known prefix of loc (1 when nothing is known)."""
        for n in range(len(loc), -1, -1):
            if loc[:n] in self._lines:
                return self._lines[loc[:n]]
        return 1

    def where(self, *loc) -> str:
        return f"{self.path}:{self.line(*loc)}"


def _line_map(root) -> dict[tuple, int]:
    lines: dict[tuple, int] = {}

    def walk(node, path: tuple) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[path + (key.value,)] = key.start_mark.line + 1
                walk(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    if root is not None:
        walk(root, ())
    return lines


def read_located(path: Path) -> Located:
    """Parse path as YAML (UTF-8); raises ConfigFileError naming the file (and line) when it cannot."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigFileError([f"{path}: cannot read file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigFileError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigFileError([f"{path}{line}: YAML syntax error: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError([f"{path}: YAML error: {exc}"]) from None
    return Located(Path(path), data, _line_map(root))

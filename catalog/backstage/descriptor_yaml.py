"""Safe, fast YAML for descriptors: libyaml parses, one tight pass builds and checks the data.

Scalars are read the way Backstage reads them (YAML 1.2 core schema): only true/false are
booleans, dates stay text, and `<<` is an ordinary key, not a merge (which also removes
YAML 1.1 merge keys' own way of growing a document exponentially). The build refuses, with a
reason, instead of expanding:
- an alias (`*name`) that repeats a mapping or a list: that is how "billion laughs"
  documents grow (aliases of plain values are fine, they cannot grow);
- nesting deeper than MAX_DEPTH (libyaml itself stops at 1000 levels before Python sees it);
- keys that are not text, numbers that are not finite, and any other type (!!binary, !!set).
A refused document comes out as a `BadDocument`, so the documents after it are still read.
"""

import math
import re
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

MAX_DEPTH = 32
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (_TAG + name for name in ("str", "int", "float", "bool", "null"))
SEQ, MAP = _TAG + "seq", _TAG + "map"
_DROPPED = (":bool", ":timestamp", ":merge", ":value")
_ALIAS = ("repeats a YAML alias (*name) of a mapping or list: write the values out in full "
          "(aliases can expand without bound)")  # fmt: skip


@dataclass(frozen=True)
class BadDocument:
    """A document that is not safe plain data, and why."""

    reason: str


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []

    def message(self) -> str:
        path = "".join(reversed(self.path)).lstrip(".")
        return f"{path or 'the document'} {self.reason}"


class DescriptorLoader(_Base):
    """libyaml's parser with a builder that checks as it goes (see the module docstring)."""

    def resolve(self, kind, value, implicit):
        """The tag of a node; libyaml asks once per scalar, so this is the short way."""
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return STR
        return SEQ if kind is SequenceNode else MAP

    def construct_document(self, node):
        self._seen: set[int] = set()
        try:
            return self._build(node, 0)
        except _Refused as refused:
            return BadDocument(refused.message())

    def _build(self, node, depth: int):
        tag = node.tag
        if tag == STR:
            return node.value
        if type(node) is ScalarNode:
            return self._scalar(node, tag)
        if id(node) in self._seen:
            raise _Refused(_ALIAS)
        self._seen.add(id(node))
        if depth >= MAX_DEPTH:
            raise _Refused(f"is nested more than {MAX_DEPTH} levels deep: flatten it")
        if type(node) is SequenceNode and tag == SEQ:
            return self._sequence(node, depth)
        if type(node) is MappingNode and tag == MAP:
            return self._mapping(node, depth)
        raise _Refused(
            f"is a YAML {tag}: only text, numbers, true/false, lists and mappings are accepted"
        )

    def _sequence(self, node, depth: int) -> list:
        items = []
        for index, item in enumerate(node.value):
            try:
                items.append(self._build(item, depth + 1))
            except _Refused as refused:
                refused.path.append(f"[{index}]")
                raise
        return items

    def _mapping(self, node, depth: int) -> dict:
        mapping = {}
        for key_node, value_node in node.value:
            if key_node.tag != STR:
                shown = key_node.value if type(key_node) is ScalarNode else key_node.tag
                raise _Refused(f"has key {shown!r}: quote keys as text")
            try:
                mapping[key_node.value] = self._build(value_node, depth + 1)
            except _Refused as refused:
                refused.path.append(f".{key_node.value}")
                raise
        return mapping

    def _scalar(self, node, tag: str):
        if tag == NULL:
            return None
        if tag == BOOL:
            return node.value.lower() == "true"
        if tag == INT:
            return self.construct_yaml_int(node)
        if tag == FLOAT:
            value = self.construct_yaml_float(node)
            if not math.isfinite(value):
                raise _Refused(f"is {node.value}: use a finite number or quote it")
            return value
        raise _Refused(
            f"is a YAML {tag}: only text, numbers, true/false, lists and mappings are accepted"
        )


DescriptorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith(_DROPPED)]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
DescriptorLoader.add_implicit_resolver(
    BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_documents(text: str | bytes):
    """Each document of a YAML stream: plain data, None for an empty one, or a BadDocument."""
    return yaml.load_all(text, Loader=DescriptorLoader)

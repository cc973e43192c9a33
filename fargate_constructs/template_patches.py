"""RFC 6902 JSON patches replayed on a stack's synthesized template: the escape hatch of last
resort (Copilot's ``overrides/cfn.patches.yml``), applied by :func:`fargate_constructs.synth`
after the app is synthesized and checked.

A patch sees the template exactly as CloudFormation will; nothing the library guarantees is
re-checked after it (the synth-time checks and cdk-nag ran before it): run ``cfn-lint`` on the
patched templates in ``cdk.out``, as ``make check`` does.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonpatch
import jsonpointer
from aws_cdk import CfnElement, Stack
from constructs import Construct, IConstruct

from .doors import checked
from .errors import InvalidParameterError
from .scopes import root_of, stack_of

if TYPE_CHECKING:
    from aws_cdk.cx_api import CloudAssembly

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")

_PATCHES: weakref.WeakKeyDictionary[Any, list[TemplatePatches]] = weakref.WeakKeyDictionary()
# Apps whose synthesized templates are patched (app.synth() returns its first assembly again).
_APPLIED: weakref.WeakSet[Any] = weakref.WeakSet()


@checked
class TemplatePatches(Construct):
    """JSON patches (RFC 6902: ``add``, ``remove``, ``replace``, ``move``, ``copy``, ``test``)
    replayed, in order, on this stack's template when :func:`fargate_constructs.synth`
    synthesizes the app (``app.synth()`` alone does not apply them).

    :param operations: the patch: ``{"op": ..., "path": ..., "value": ...}`` each.
    :param resources: names a path may use for a resource of this stack in place of its
        logical ID: ``/Resources/<name>/...`` becomes ``/Resources/<logical ID>/...`` of the
        construct given (its CloudFormation resource: ``node.default_child`` for an L2), and
        so do ``Ref``/``Fn::GetAtt`` of the name in a value.
    :param source: where the patch came from (a file name), for error messages.

    A path that does not exist in the synthesized template is an error at synth naming the
    operation, the path, and the nearest logical ID the template has.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        operations: Sequence[Mapping[str, Any]],
        resources: Mapping[str, IConstruct] | None = None,
        source: str = "operations",
    ) -> None:
        super().__init__(scope, id)
        self.source = source
        self.operations = [_check_operation(source, i, op) for i, op in enumerate(operations)]
        self.resources = {name: _cfn_element(name, c) for name, c in (resources or {}).items()}
        self.stack: Stack = stack_of(self)
        _PATCHES.setdefault(root_of(self), []).append(self)

    @classmethod
    def from_file(
        cls,
        scope: Construct,
        id: str,
        *,
        file: str | Path,
        resources: Mapping[str, IConstruct] | None = None,
    ) -> TemplatePatches:
        """The patch in a YAML or JSON file (a list of operations)."""
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        path = Path(file)
        try:
            loaded = YAML(typ="safe").load(path.read_text())
        except (OSError, YAMLError) as error:
            raise InvalidParameterError(
                "file",
                str(path),
                "a readable YAML or JSON list of JSON patch operations",
                hint=str(error).splitlines()[0],
            ) from None
        if not isinstance(loaded, list):
            raise InvalidParameterError(
                "file",
                str(path),
                "a YAML or JSON list of JSON patch operations "
                "(- op: add\\n  path: /Resources/...\\n  value: ...)",
            )
        return cls(scope, id, operations=loaded, resources=resources, source=str(path))

    def translated(self) -> list[dict[str, Any]]:
        """The operations with resource names replaced by this stack's logical IDs."""
        ids = {
            name: str(self.stack.resolve(self.stack.get_logical_id(element)))
            for name, element in self.resources.items()
        }
        result = []
        for op in self.operations:
            copy = dict(op)
            for key in ("path", "from"):
                if key in copy:
                    copy[key] = _translate(copy[key], ids)
            if "value" in copy:
                copy["value"] = _translate_references(copy["value"], ids)
            result.append(copy)
        return result

    def apply(self, template: dict[str, Any]) -> dict[str, Any]:
        """``template`` with every operation applied; an operation whose path is missing is an
        :class:`InvalidParameterError` naming it."""
        for index, (original, op) in enumerate(
            zip(self.operations, self.translated(), strict=True)
        ):
            try:
                template = jsonpatch.apply_patch(template, [op])
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
                existing = sorted(template.get("Resources", {}))
                parts = str(original["path"]).split("/")
                nearest = None
                if len(parts) > 2 and parts[1] == "Resources":
                    names = [*self.resources, *existing]
                    close = difflib.get_close_matches(parts[2], names, n=1)
                    nearest = f"/Resources/{close[0]}/..." if close else None
                raise InvalidParameterError(
                    f"{self.source}[{index}].path",
                    original["path"],
                    "a path that exists in the synthesized template of stack "
                    f"{self.stack.stack_name} (resources named "
                    + (", ".join(self.resources) or "by their logical IDs")
                    + ")",
                    nearest=nearest,
                    # jsonpatch's message quotes the whole document after " in ".
                    hint=f"{op['op']} failed: {str(error).split(' in {')[0]}",
                ) from None
        return template


def apply_patches(app: IConstruct, assembly: CloudAssembly) -> CloudAssembly:
    """Replay every :class:`TemplatePatches` of ``app`` on its stack's template in
    ``assembly``, and re-address the patched template asset; returns the reloaded assembly."""
    from aws_cdk.cx_api import CloudAssembly

    root = app.node.root
    if root in _APPLIED:
        # app.synth() returns the assembly it already wrote: its templates are patched.
        return CloudAssembly(assembly.directory)
    by_stack: dict[str, list[TemplatePatches]] = {}
    for patch in _PATCHES.get(app.node.root, []):
        by_stack.setdefault(patch.stack.artifact_id, []).append(patch)
    changed = False
    for artifact_id, patches in by_stack.items():
        try:
            artifact = assembly.get_stack_artifact(artifact_id)
        except RuntimeError:
            continue  # a stack of another app
        path = Path(artifact.template_full_path)
        before = path.read_text()
        template = json.loads(before)
        for patch in patches:
            template = patch.apply(template)
        after = json.dumps(template, indent=1)
        if after != before:
            path.write_text(after)
            _readdress(Path(assembly.directory), before, after)
            changed = True
    if changed:
        _APPLIED.add(root)
        return CloudAssembly(assembly.directory)
    return assembly


def _readdress(directory: Path, before: str, after: str) -> None:
    """The template asset is addressed by the SHA-256 of its content: a changed template
    gets a new address, so a deploy never reuses an unpatched upload."""
    old = hashlib.sha256(before.encode()).hexdigest()
    new = hashlib.sha256(after.encode()).hexdigest()
    for file in [*directory.glob("*.assets.json"), directory / "manifest.json"]:
        text = file.read_text()
        if old in text:
            file.write_text(text.replace(old, new))


def _translate(path: Any, ids: Mapping[str, str]) -> Any:
    parts = str(path).split("/")
    if len(parts) > 2 and parts[1] == "Resources" and parts[2] in ids:
        parts[2] = ids[parts[2]]
    return "/".join(parts)


def _translate_references(value: Any, ids: Mapping[str, str]) -> Any:
    """``Ref``/``Fn::GetAtt`` of a resource name in a patch value, to its logical ID."""
    if isinstance(value, list):
        return [_translate_references(item, ids) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in ids:
        return {"Ref": ids[value["Ref"]]}
    attribute = value.get("Fn::GetAtt")
    if set(value) == {"Fn::GetAtt"} and isinstance(attribute, list) and attribute[:1]:
        name = attribute[0]
        return {"Fn::GetAtt": [ids.get(name, name), *attribute[1:]]}
    if set(value) == {"Fn::GetAtt"} and isinstance(attribute, str):
        name, _, rest = attribute.partition(".")
        if name in ids:
            return {"Fn::GetAtt": f"{ids[name]}.{rest}"}
    return {key: _translate_references(item, ids) for key, item in value.items()}


def _check_operation(source: str, index: int, op: Any) -> dict[str, Any]:
    where = f"{source}[{index}]"
    if not isinstance(op, Mapping):
        raise InvalidParameterError(
            where,
            op,
            "a mapping with op and path (and value or from)",
            nearest="{'op': 'add', 'path': '/Resources/...', 'value': ...}",
        )
    kind = op.get("op")
    if kind not in OPERATIONS:
        close = difflib.get_close_matches(str(kind), OPERATIONS, n=1)
        raise InvalidParameterError(
            f"{where}.op",
            kind,
            ", ".join(OPERATIONS),
            nearest=repr(close[0]) if close else None,
        )
    path = op.get("path")
    if not isinstance(path, str) or not (path == "" or path.startswith("/")):
        raise InvalidParameterError(
            f"{where}.path",
            path,
            "a JSON pointer starting with '/' (e.g. /Resources/TaskDefinition/Properties/Cpu)",
            nearest=repr("/" + path) if isinstance(path, str) else None,
        )
    if kind in ("add", "replace", "test") and "value" not in op:
        raise InvalidParameterError(
            f"{where}.value", None, f"a value: {kind} sets the value at the path"
        )
    if kind in ("move", "copy") and not isinstance(op.get("from"), str):
        raise InvalidParameterError(
            f"{where}.from", op.get("from"), f"a JSON pointer: {kind} reads the value there"
        )
    return dict(op)


def _cfn_element(name: str, construct: IConstruct) -> CfnElement:
    if isinstance(construct, CfnElement):
        return construct
    child = construct.node.default_child
    if isinstance(child, CfnElement):
        return child
    raise InvalidParameterError(
        f"resources[{name!r}]",
        construct.node.path,
        "a CloudFormation resource or a construct whose node.default_child is one",
    )

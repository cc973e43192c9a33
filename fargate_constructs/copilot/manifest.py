"""Reading a Copilot workspace: ``copilot/<service>/manifest.yml`` and
``copilot/environments/<env>/manifest.yml``, as YAML 1.2 (``on:`` stays a key, ``yes`` stays a
string), with the line of every key kept for the migration report, CloudFormation ``!Tags``
reported and dropped, and a service's ``environments.<env>`` overrides merged the way Copilot
merges them (maps key by key, everything else replaced)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import YAMLError

SERVICE_TYPES = (
    "Load Balanced Web Service",
    "Backend Service",
    "Worker Service",
    "Scheduled Job",
    "Request-Driven Web Service",
    "Static Site",
)
DEFAULT_ENVIRONMENT = "test"

KeyPath = tuple[str, ...]


class ManifestError(Exception):
    """A file that cannot be read as a manifest: one line naming the file and the key."""


@dataclass
class Dropped:
    """A value the reader could not keep (an unknown ``!Tag``): where, and what it was."""

    path: KeyPath
    line: int
    text: str


@dataclass
class Manifest:
    """One manifest file: its plain data, where each key sits, and what was dropped."""

    file: Path
    relative: str
    data: dict[str, Any]
    lines: dict[KeyPath, int]
    dropped: list[Dropped] = field(default_factory=list)
    addons: list[Path] = field(default_factory=list)
    """``copilot/<service>/addons/*.yml``: CloudFormation templates Copilot deployed beside it."""
    addon_parameters: Path | None = None
    """``addons/addons.parameters.yml``: values for the add-ons' other parameters."""
    patches: Path | None = None
    """``overrides/cfn.patches.yml``: JSON patches Copilot applied to its template."""
    cdk_overrides: list[Path] = field(default_factory=list)
    """``overrides/`` holding a CDK app (TypeScript) that transformed Copilot's template."""

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.file.parent.name)

    @property
    def type(self) -> str:
        return str(self.data["type"])

    def environments(self) -> dict[str, Any]:
        overrides = self.data.get("environments") or {}
        return overrides if isinstance(overrides, dict) else {}

    def for_environment(self, environment: str) -> dict[str, Any]:
        """The manifest with ``environments.<environment>`` merged in."""
        base = {key: value for key, value in self.data.items() if key != "environments"}
        override = self.environments().get(environment)
        return merge(base, override) if isinstance(override, dict) else base


@dataclass
class Workspace:
    root: Path
    copilot_dir: Path
    services: list[Manifest]
    environments: list[Manifest]
    errors: list[str]


def merge(base: Any, override: Any) -> Any:
    """Copilot's override rule: maps merge key by key; lists and scalars are replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return override


def read_workspace(path: Path) -> Workspace:
    """The manifests under ``path`` (a workspace root or its ``copilot/`` folder). A missing
    folder is a :class:`ManifestError`; a manifest that cannot be read is listed in
    ``errors`` so the rest still converts."""
    if not path.exists():
        raise ManifestError(f"{path}: no such directory")
    if not path.is_dir():
        raise ManifestError(f"{path}: not a directory (give the workspace or its copilot/ folder)")
    copilot_dir = path / "copilot" if (path / "copilot").is_dir() else path
    root = copilot_dir.parent if copilot_dir.name == "copilot" else copilot_dir
    try:
        candidates = sorted(copilot_dir.glob("*/manifest.yml")) + sorted(
            copilot_dir.glob("environments/*/manifest.yml")
        )
    except OSError as error:
        raise ManifestError(f"{copilot_dir}: cannot be read ({error.strerror})") from None
    if not candidates:
        raise ManifestError(
            f"{copilot_dir}: no manifests (expected copilot/<service>/manifest.yml)"
        )
    services: list[Manifest] = []
    environments: list[Manifest] = []
    errors: list[str] = []
    for file in candidates:
        try:
            manifest = read_manifest(file, root)
        except ManifestError as error:
            errors.append(str(error))
            continue
        if manifest.type == "Environment":
            environments.append(manifest)
        else:
            _escape_hatches(manifest)
            services.append(manifest)
    return Workspace(root, copilot_dir, services, environments, errors)


ADDON_PARAMETERS = "addons.parameters.yml"
TEMPLATE_SUFFIXES = (".yml", ".yaml", ".json")


def _escape_hatches(manifest: Manifest) -> None:
    """Copilot's add-ons and overrides beside a service manifest."""
    folder = manifest.file.parent
    addons = folder / "addons"
    if addons.is_dir():
        manifest.addons = sorted(
            f
            for f in addons.iterdir()
            if f.is_file() and f.suffix in TEMPLATE_SUFFIXES and f.name != ADDON_PARAMETERS
        )
        if (addons / ADDON_PARAMETERS).is_file():
            manifest.addon_parameters = addons / ADDON_PARAMETERS
    overrides = folder / "overrides"
    if overrides.is_dir():
        for name in ("cfn.patches.yml", "cfn.patches.yaml"):
            if (overrides / name).is_file():
                manifest.patches = overrides / name
        manifest.cdk_overrides = sorted(
            f
            for f in overrides.rglob("*")
            if f.is_file()
            and f != manifest.patches
            and "node_modules" not in f.parts
            and f.name != "README.md"
        )


def read_manifest(file: Path, root: Path) -> Manifest:
    relative = _relative(file, root)
    try:
        text = file.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{relative}: cannot be read ({error})") from None
    yaml = YAML(typ="rt")  # YAML 1.2: `on` is a key, only true/false are booleans
    try:
        loaded = yaml.load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ManifestError(f"{relative}{where}: invalid YAML ({problem})") from None
    if not isinstance(loaded, CommentedMap):
        raise ManifestError(f"{relative}: not a Copilot manifest (expected a mapping of keys)")
    lines: dict[KeyPath, int] = {}
    dropped: list[Dropped] = []
    data = _plain(loaded, (), lines, dropped)
    kind = data.get("type")
    if kind is None:
        raise ManifestError(f"{relative}: key 'type' missing (a Copilot manifest names its type)")
    if kind != "Environment" and kind not in SERVICE_TYPES:
        raise ManifestError(
            f"{relative}:{lines.get(('type',), 0)}: key 'type' is {kind!r}; Copilot's types are "
            + ", ".join(repr(t) for t in (*SERVICE_TYPES, "Environment"))
        )
    return Manifest(file, relative, data, lines, dropped)


def _plain(node: Any, path: KeyPath, lines: dict[KeyPath, int], dropped: list[Dropped]) -> Any:
    """Plain dicts, lists and scalars; tagged nodes are recorded in ``dropped`` and removed."""
    if isinstance(node, CommentedMap):
        result: dict[str, Any] = {}
        for key, value in node.items():
            key_path = (*path, str(key))
            line = node.lc.key(key)[0] + 1
            lines[key_path] = line
            tag = _tag(value)
            if tag is not None:
                dropped.append(Dropped(key_path, line, f"{tag} {_tag_text(value)}"))
                continue
            result[str(key)] = _plain(value, key_path, lines, dropped)
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            tag = _tag(value)
            if tag is not None:
                line = node.lc.item(index)[0] + 1
                dropped.append(Dropped((*path, str(index)), line, f"{tag} {_tag_text(value)}"))
                continue
            items.append(_plain(value, (*path, str(index)), lines, dropped))
        return items
    if isinstance(node, TaggedScalar):
        return node.value
    return node


def _tag(value: Any) -> str | None:
    tag = getattr(value, "tag", None)
    text = getattr(tag, "value", None)
    return str(text) if text and str(text).startswith("!") else None


def _tag_text(value: Any) -> str:
    if isinstance(value, TaggedScalar):
        return str(value.value)
    return str(list(value) if isinstance(value, CommentedSeq) else dict(value))


def _relative(file: Path, root: Path) -> str:
    try:
        return str(file.relative_to(root))
    except ValueError:
        return str(file)

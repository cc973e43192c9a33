"""Doors: every public constructor and function checks each argument against its parameter's
type annotation before it does anything else, through beartype, and a mismatch is one
:class:`InvalidParameterError` naming the parameter, the value as given, the expected type in
words and, where one exists, the nearest valid choice.

Rules that need knowledge of the platform (sizes, names, CIDRs, ports) stay with their types;
this module knows only types. A type can offer a better "nearest valid choice" than the generic
one by defining ``_door_nearest(value) -> str | None`` (a classmethod returning the expression
to write instead, e.g. ``Capacity.spot()`` for ``"spot"``).

Three rules go beyond what annotations say, because the shorthand they refuse is accepted by
Python's typing and does something else than asked: a ``bool`` is not an ``int``, a ``str`` is
not a ``Sequence[str]`` (it would be taken character by character), and a jsii interface
(``ec2.IVpc``, an un-checkable ``typing.Protocol``) is satisfied by an object whose class has
every member of the interface (read from the class, never from the object, which would be a
round trip to the jsii runtime).
"""

from __future__ import annotations

import collections.abc
import difflib
import enum
import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from .errors import InvalidParameterError

F = TypeVar("F", bound=Callable[..., Any])


@functools.cache
def _beartype() -> tuple[Callable[..., bool], Any]:
    """beartype's door and its configuration, imported on the first hint that needs them (most
    arguments are plain classes, checked without it; importing it costs a fresh process about
    0.1 s)."""
    from beartype import BeartypeConf
    from beartype.door import is_bearable as bearable

    # An int where a float is asked is fine (PEP 484's numeric tower), as Python's typing says.
    return bearable, BeartypeConf(is_pep484_tower=True)


def is_bearable(value: Any, hint: Any) -> bool:
    bearable, conf = _beartype()
    return bearable(value, hint, conf=conf)


def _is(check: Callable[[Any], bool]) -> Any:
    from beartype.vale import Is

    return Is[check]


_SKIPPED = frozenset({"self", "cls"})
_MARK = "__fargate_door__"


class _LazyNames(dict[str, Any]):
    """Names a module imports only for type checkers (``Duration`` in ``DurationLike``,
    ``FargateTaskWithRoles`` in cluster.py), resolved when an annotation needs them: first
    from this package's public names, then from aws_cdk. Everything else falls through to the
    module's globals and builtins."""

    def __init__(self, module_globals: Mapping[str, Any]) -> None:
        super().__init__()
        self._globals = module_globals

    def __missing__(self, name: str) -> Any:
        import builtins
        import importlib

        if name in self._globals or hasattr(builtins, name):
            raise KeyError(name)
        package = importlib.import_module(__package__ or "fargate_constructs")
        if name in getattr(package, "__all__", ()):
            return getattr(package, name)
        for module_name in ("aws_cdk", "constructs", "aws_cdk.cx_api"):
            module = importlib.import_module(module_name)
            if hasattr(module, name):
                return getattr(module, name)
        if name.isidentifier() and name.islower():
            # A module imported for type checkers only, as aws-cdk's docs spell it: `ecs`,
            # `lambda_`.
            try:
                return importlib.import_module(f"aws_cdk.aws_{name.rstrip('_')}")
            except ImportError:
                pass
        raise KeyError(name)


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    names = _LazyNames(getattr(function, "__globals__", {}))
    if any("DurationLike" in str(hint) for hint in function.__annotations__.values()):
        # DurationLike is a string alias (so durations.py needs no aws_cdk): spelled out here,
        # loading aws_cdk only for an annotation that names it.
        import importlib

        duration = importlib.import_module("aws_cdk").Duration
        names["DurationLike"] = timedelta | duration
    return typing.get_type_hints(function, localns=names, include_extras=True)


# ---------------------------------------------------------------- preparing hints for beartype


def _is_protocol(hint: Any) -> bool:
    return (
        isinstance(hint, type)
        and getattr(hint, "_is_protocol", False)
        and not getattr(hint, "_is_runtime_protocol", False)
    )


@functools.cache
def _protocol_members(protocol: type) -> frozenset[str]:
    return frozenset(name for name in dir(protocol) if not name.startswith("_"))


@functools.cache
def _implements(cls: type, protocol: type) -> bool:
    return all(hasattr(cls, name) for name in _protocol_members(protocol))


def _provides(value: Any, protocol: type) -> bool:
    # jsii hands out an InterfaceDynamicProxy for an object known by several interfaces
    # (Vpc.from_lookup): each member is then on one of its delegates' classes.
    delegates = vars(value).get("_delegates") if hasattr(value, "__dict__") else None
    if isinstance(delegates, list):
        return all(
            any(hasattr(type(delegate), name) for delegate in delegates)
            for name in _protocol_members(protocol)
        )
    return bool(_implements(type(value), protocol))  # type: ignore[arg-type]


def _not_bool(value: Any) -> bool:
    return not isinstance(value, bool)


def _not_str(value: Any) -> bool:
    return not isinstance(value, str)


_SEQUENCE_ORIGINS = (
    collections.abc.Sequence,
    collections.abc.Iterable,
    collections.abc.Collection,
    list,
    tuple,
)


def _prepare(hint: Any) -> Any:
    """``hint`` with the three rules above applied, in a form beartype checks."""
    if hint is int:
        return Annotated[int, _is(_not_bool)]
    if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
        # A StrEnum parameter also takes its value's spelling ("ARM64"); the type's own rule
        # then says which spellings exist.
        return hint | str
    if _is_protocol(hint):
        protocol = hint
        return Annotated[object, _is(lambda value: _provides(value, protocol))]
    origin, args = get_origin(hint), get_args(hint)
    if origin is None or not args:
        return hint
    if origin is Annotated:
        inner = _prepare(args[0])
        checks = tuple(marker for marker in hint.__metadata__ if not isinstance(marker, Nearest))
        return Annotated[(inner, *checks)] if checks else inner
    prepared = tuple(_prepare(arg) for arg in args)
    if origin in (Union, types.UnionType):
        return Union[prepared]  # noqa: UP007 (a runtime union of prepared hints)
    if origin is typing.Literal:
        return hint
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        # Value objects hold tuples, but CDK users write lists: both are taken.
        origin = collections.abc.Sequence
        prepared = prepared[:1]
    rebuilt = _subscript(origin, prepared, hint)
    if origin in _SEQUENCE_ORIGINS:
        return Annotated[rebuilt, _is(_not_str)]
    return rebuilt


def _subscript(origin: Any, args: tuple[Any, ...], hint: Any) -> Any:
    try:
        return origin[args if len(args) > 1 else args[0]]
    except TypeError:
        return hint


def _fast(hint: Any) -> Callable[[Any], bool] | None:
    """A check of ``hint`` in plain Python where it is classes (and None) only, by the same
    rules as :func:`_prepare`; None where beartype is needed (containers, literals)."""
    if hint is Any or hint is object:
        return lambda value: True
    if hint is type(None) or hint is None:
        return lambda value: value is None
    if hint is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return lambda value: isinstance(value, int | float)
    if _is_protocol(hint):
        protocol = hint
        return lambda value: _provides(value, protocol)
    if isinstance(hint, type):
        kinds: tuple[type, ...] = (hint, str) if issubclass(hint, enum.StrEnum) else (hint,)
        return lambda value: isinstance(value, kinds)
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated and all(isinstance(m, Nearest) for m in hint.__metadata__):
        return _fast(args[0])
    if origin in (Union, types.UnionType):
        arms = [_fast(arg) for arg in args]
        if all(arm is not None for arm in arms):
            checks = typing.cast(list[Callable[[Any], bool]], arms)
            return lambda value: any(check(value) for check in checks)
    if origin in _SEQUENCE_ORIGINS and args and (len(args) == 1 or args[1] is Ellipsis):
        each = _fast(args[0])
        if each is not None:
            # A list or tuple of items (a string is refused: it would be read letter by letter).
            return lambda value: isinstance(value, list | tuple) and all(map(each, value))
    if origin in (collections.abc.Mapping, dict) and len(args) == 2:
        key, item = _fast(args[0]), _fast(args[1])
        if key is not None and item is not None:
            return lambda value: (
                isinstance(value, Mapping) and all(key(k) and item(v) for k, v in value.items())
            )
    return None


def _fits(value: Any, hint: Any) -> bool:
    """beartype samples one item of a container; a parameter's containers are small, so every
    item is checked (one level deep), and each arm of a union on its own."""
    if get_origin(hint) in (Union, types.UnionType):
        return any(_fits(value, arm) for arm in get_args(hint))
    if not is_bearable(value, hint):
        return False
    return all(_fits(item, item_hint) for item, item_hint in _items(value, hint))


def _fits_hint(hint: Any, value: Any) -> bool:
    return _fits(value, hint)


def _items(value: Any, hint: Any) -> Iterator[tuple[Any, Any]]:
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        yield from _items(value, args[0])
        return
    if not args:
        return
    if isinstance(value, Mapping) and origin in (
        collections.abc.Mapping,
        collections.abc.MutableMapping,
        dict,
    ):
        for key, item in value.items():
            yield key, args[0]
            yield item, args[1]
    elif isinstance(value, list | tuple | set | frozenset) and origin in (
        *_SEQUENCE_ORIGINS,
        collections.abc.Set,
        set,
        frozenset,
    ):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return  # fixed-length tuples are checked whole by beartype
        for item in value:
            yield item, args[0]


# ---------------------------------------------------------------- words and suggestions


def _type_name(cls: type) -> str:
    module = cls.__module__
    if module.startswith("aws_cdk."):
        return f"{module.removeprefix('aws_cdk.')}.{cls.__qualname__}"
    if module == "aws_cdk":
        return f"aws_cdk.{cls.__qualname__}"
    if module in ("builtins", "datetime") or module.startswith(__package__ or "fargate_constructs"):
        return f"{'datetime.' if module == 'datetime' else ''}{cls.__qualname__}"
    return f"{module}.{cls.__qualname__}"


_WORDS = (bool, int, float, str, type(None))


def describe_type(hint: Any) -> str:
    """``hint`` in words: ``a whole number``, ``a NetworkedCluster or None``."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is type(None) or hint is None:
        return "None"
    if hint is bool:
        return "True or False"
    if hint is int:
        return "a whole number"
    if hint is float:
        return "a number"
    if hint is str:
        return "a string"
    if hint is Any or hint is object:
        return "anything"
    if origin is Annotated:
        return describe_type(args[0])
    if origin in (Union, types.UnionType):
        words = [describe_type(arg) for arg in args if arg is not type(None)]
        if type(None) in args:
            words.append("None")
        return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]
    if origin is typing.Literal:
        return " or ".join(repr(arg) for arg in args)
    if origin in _SEQUENCE_ORIGINS:
        return f"a list of {_plural(args[0])}" if args else "a list"
    if origin in (collections.abc.Mapping, dict, collections.abc.MutableMapping):
        if args:
            return f"a mapping of {_plural(args[0])} to {_plural(args[1])}"
        return "a mapping"
    if origin in (collections.abc.Callable,):
        return "a function"
    if isinstance(hint, type) and hasattr(hint, "_door_words"):
        return str(hint._door_words())
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            members = list(hint.__members__)
            shown = ", ".join(f"{hint.__name__}.{name}" for name in members[:3])
            more = ", ..." if len(members) > 3 else ""
            return f"a member of {_type_name(hint)} ({shown}{more})"
        name = _type_name(hint)
        article = "an" if name[:1].lower() in "aeiou" else "a"
        return f"{article} {name}"
    return str(hint)


def _plural(hint: Any) -> str:
    if get_origin(hint) in (Union, types.UnionType):
        return " or ".join(_plural(arm) for arm in get_args(hint))
    if isinstance(hint, type) and not issubclass(hint, enum.Enum) and hint not in _WORDS:
        return f"{_type_name(hint)} objects"
    words = describe_type(hint)
    for article in ("a ", "an "):
        if words.startswith(article):
            return words.removeprefix(article) + "s"
    return words


def _shown(value: Any) -> Any:
    """A plain value as itself, a class as ``the class X``, an object by its type's name."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple) and all(
        item is None or isinstance(item, str | int | float | bool) for item in value
    ):
        return value
    if isinstance(value, Mapping) and all(
        isinstance(item, str | int | float | bool | type(None)) for item in value.values()
    ):
        return dict(value)
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return f"{type(value).__name__}(...)"


def _expression(value: Any) -> str:
    """How a user would write ``value`` back: a plain value as itself, a construct by its id
    (``orders`` for a construct with id ``Orders``)."""
    if value is None or isinstance(value, str | int | float | bool):
        return repr(value)
    node = getattr(value, "node", None)
    if node is not None and hasattr(type(value), "node"):
        return re.sub(r"\W+", "_", str(node.id)).lower()
    return str(_shown(value))


def _arms(hint: Any) -> list[Any]:
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        return _arms(args[0])
    if origin in (Union, types.UnionType):
        return [arm for arg in args for arm in _arms(arg)]
    return [hint]


class Nearest:
    """``Annotated[T, Nearest(...)]``: the nearest valid choice for a wrong-typed value of a
    parameter whose type alone cannot say it: a fixed expression, or a function of the value
    (see :func:`in_unit`)."""

    def __init__(self, suggestion: str | Callable[[Any], str | None]) -> None:
        self.suggestion = suggestion

    def __call__(self, value: Any) -> str | None:
        if callable(self.suggestion):
            return self.suggestion(value)
        return self.suggestion


def in_unit(unit: str) -> Nearest:
    """A duration parameter counted in ``unit``: a bare number ``15`` is suggested back as
    ``Duration.<unit>(15)``."""

    def suggest(value: Any) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"Duration.{unit}({value:g})"
        return None

    return Nearest(suggest)


def _markers(hint: Any) -> Iterator[Nearest]:
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        yield from (marker for marker in hint.__metadata__ if isinstance(marker, Nearest))
        yield from _markers(args[0])
    elif origin in (Union, types.UnionType):
        for arg in args:
            yield from _markers(arg)


def _nearest(parameter: str, value: Any, hint: Any) -> str | None:
    for marker in _markers(hint):
        suggestion = marker(value)
        if suggestion is not None:
            return f"{parameter}={suggestion}"
    for arm in _arms(hint):
        suggestion = _nearest_in(value, arm)
        if suggestion is not None:
            return f"{parameter}={suggestion}"
    return None


def _nearest_in(value: Any, hint: Any) -> str | None:
    origin, args = get_origin(hint), get_args(hint)
    if isinstance(hint, type):
        own = getattr(hint, "_door_nearest", None)
        if own is not None:
            suggestion: str | None = own(value)
            if suggestion is not None:
                return suggestion
        if isinstance(value, type) and issubclass(value, hint):
            return f"{value.__name__}(...)"
        if issubclass(hint, enum.Enum):
            return _enum_member(hint, value)
    if _is_protocol(hint) and isinstance(value, str) and value.startswith("arn:"):
        return _from_arn(hint, value)
    if hint is int and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return f"int({value!r})"
    if hint is int and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hint is bool and isinstance(value, str | int) and str(value).lower() in _BOOLS:
        return str(_BOOLS[str(value).lower()])
    if hint is str and isinstance(value, int | float) and not isinstance(value, bool):
        return repr(str(value))
    if hint is timedelta and isinstance(value, int | float) and not isinstance(value, bool):
        return f"Duration.seconds({value:g})"
    if origin in _SEQUENCE_ORIGINS and value is None:
        return "[]"
    if origin in _SEQUENCE_ORIGINS and args:
        item_hint = _prepare(args[0])
        if not isinstance(value, list | tuple) and _fits(value, item_hint):
            return f"[{_expression(value)}]"
        if isinstance(value, list | tuple):
            fixed = [
                _expression(item) if _fits(item, item_hint) else _nearest_in(item, args[0])
                for item in value
            ]
            if fixed and all(item is not None for item in fixed):
                return f"[{', '.join(typing.cast(list[str], fixed))}]"
        elif not isinstance(value, list | tuple):
            single = _nearest_in(value, args[0])
            if single is not None:
                return f"[{single}]"
    if (
        origin in (collections.abc.Mapping, dict)
        and isinstance(value, Mapping)
        and args[1:] == (str,)
        and all(v is not None for v in value.values())
    ):
        return repr({str(k): (v if isinstance(v, str) else str(v)) for k, v in value.items()})
    return None


def _from_arn(interface: type, arn: str) -> str | None:
    """An ARN where a jsii interface is asked: the class's ``from_<x>_arn`` import, e.g.
    ``sns.Topic.from_topic_arn(self, 'Topic', 'arn:...')`` for ``sns.ITopic``."""
    name = interface.__name__.removeprefix("I")
    module = __import__(interface.__module__, fromlist=[name])
    cls = getattr(module, name, None)
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    if cls is None or not hasattr(cls, f"from_{snake}_arn"):
        return None
    alias = interface.__module__.removeprefix("aws_cdk.aws_")
    return f"{alias}.{name}.from_{snake}_arn(self, {name!r}, {arn!r})"


_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


def _enum_member(enum_type: type[enum.Enum], value: Any) -> str | None:
    members = enum_type.__members__
    for name, member in members.items():
        if member.value == value or (isinstance(value, str) and name.lower() == value.lower()):
            return f"{enum_type.__name__}.{name}"
    if isinstance(value, int) and not isinstance(value, bool):
        return _member_by_days(enum_type, value)
    if isinstance(value, str):
        close = difflib.get_close_matches(value.upper().replace("-", "_"), list(members), n=1)
        if close:
            return f"{enum_type.__name__}.{close[0]}"
    return None


_NUMBER_WORDS = {
    "ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "SIX": 6, "SEVEN": 7, "EIGHT": 8,
    "NINE": 9, "TEN": 10,
}  # fmt: skip
_DAYS_PER = {"DAY": 1, "DAYS": 1, "WEEK": 7, "WEEKS": 7, "MONTH": 30, "MONTHS": 30, "YEAR": 365,
             "YEARS": 365}  # fmt: skip


def _member_by_days(enum_type: type[enum.Enum], days: int) -> str | None:
    """A number for an enum whose members count days (``RetentionDays.ONE_YEAR`` for 365)."""
    counted = {}
    for name in enum_type.__members__:
        parts = name.split("_")
        if len(parts) == 2 and parts[0] in _NUMBER_WORDS and parts[1] in _DAYS_PER:
            counted[name] = _NUMBER_WORDS[parts[0]] * _DAYS_PER[parts[1]]
    if not counted:
        return None
    best = min(counted, key=lambda name: (abs(counted[name] - days), counted[name]))
    return f"{enum_type.__name__}.{best}"


# ---------------------------------------------------------------- the door itself


class _Door:
    """The checks of one callable, prepared once on its first call."""

    def __init__(self, function: Callable[..., Any], owner: str) -> None:
        self.function = function
        self.owner = owner
        self._ready = False
        self.signature = inspect.signature(function)
        self.hints: dict[str, tuple[Any, Any]] = {}
        self._checks: dict[str, Callable[[Any], bool]] = {}

    def _prepare(self) -> None:
        raw = _hints(self.function)
        for name in self.signature.parameters:
            if name in _SKIPPED or name not in raw:
                continue
            hint = raw[name]
            if hint is Any or hint is object:
                continue
            self.hints[name] = (hint, None)
        self._ready = True

    def _check_of(self, name: str) -> Callable[[Any], bool]:
        """The check of one parameter, made on its first use."""
        check = self._checks.get(name)
        if check is None:
            hint = self.hints[name][0]
            fast = _fast(hint)
            if fast is None:
                prepared = _prepare(hint)
                check = functools.partial(_fits_hint, prepared)
            else:
                check = fast
            self._checks[name] = check
        return check

    def check(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self._ready:
            self._prepare()
        try:
            bound = self.signature.bind_partial(*args, **kwargs)
        except TypeError as error:
            raise self._binding_error(args, kwargs, error) from None
        for name, value in bound.arguments.items():
            entry = self.hints.get(name)
            if entry is None:
                continue
            hint = entry[0]
            if not self._check_of(name)(value):
                raise InvalidParameterError(
                    name,
                    _shown(value),
                    describe_type(hint),
                    nearest=_nearest(name, value, hint),
                    given=f"{self.owner}(...)",
                )
        for name, parameter in self.signature.parameters.items():
            if (
                name not in bound.arguments
                and parameter.default is inspect.Parameter.empty
                and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
            ):
                hint = self.hints.get(name, (Any, Any))[0]
                raise InvalidParameterError(
                    name,
                    "missing",
                    f"a value: {self.owner} needs {name}= ({describe_type(hint)})",
                )

    def _binding_error(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], error: TypeError
    ) -> InvalidParameterError:
        known = [n for n in self.signature.parameters if n not in _SKIPPED]
        for name in kwargs:
            if name not in self.signature.parameters:
                close = difflib.get_close_matches(name, known, n=1)
                return InvalidParameterError(
                    name,
                    _shown(kwargs[name]),
                    f"one of {self.owner}'s parameters ({', '.join(known)})",
                    nearest=f"{close[0]}=..." if close else None,
                )
        positional = [
            n
            for n, p in self.signature.parameters.items()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and n not in _SKIPPED
        ]
        return InvalidParameterError(
            "arguments",
            f"{len(args) - (1 if self.signature.parameters.keys() & _SKIPPED else 0)} positional",
            f"keyword arguments for {self.owner} (positional: {', '.join(positional) or 'none'})",
            hint=str(error),
        )


def checked(target: F) -> F:
    """Put a door on a function, or on a class's ``__init__`` (apply it above ``@dataclass``)."""
    if isinstance(target, type):
        init = target.__dict__.get("__init__")
        if init is None or getattr(init, _MARK, None) is not None:
            return target
        target.__init__ = _guard(init, target.__name__)  # type: ignore[misc]
        setattr(target, _MARK, True)
        return target
    return typing.cast(F, _guard(target, getattr(target, "__qualname__", "function")))


def _duplicate_id(
    error: RuntimeError, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> InvalidParameterError | None:
    """aws-cdk-lib's "There is already a Construct with name ..." (a jsii error with a Node
    stack trace) for the construct being made, as one line naming ``id``."""
    id = kwargs.get("id", args[2] if len(args) > 2 else None)
    scope = kwargs.get("scope", args[1] if len(args) > 1 else None)
    if not isinstance(id, str) or f"There is already a Construct with name '{id}'" not in str(
        error
    ):
        return None
    node = getattr(scope, "node", None)
    path = str(node.path) if node is not None else "its scope"
    return InvalidParameterError(
        "id",
        id,
        f"an id no other construct in {path or 'the app'} has (ids are unique per scope)",
        nearest=f"id={id + '2'!r}",
    )


def _guard(function: Callable[..., Any], owner: str) -> Callable[..., Any]:
    door = _Door(function, owner)

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        door.check(args, kwargs)
        try:
            return function(*args, **kwargs)
        except RuntimeError as error:
            raise _duplicate_id(error, args, kwargs) or error from None

    setattr(guarded, _MARK, door)
    return guarded


def door_of(target: Any) -> _Door | None:
    """The door of a checked function or class (for the tests that sweep them)."""
    if isinstance(target, type):
        init = target.__dict__.get("__init__")
        return getattr(init, _MARK, None) if init is not None else None
    found = getattr(target, _MARK, None)
    return found if isinstance(found, _Door) else None


def door_hints(target: Any) -> dict[str, Any]:
    """The parameters a door checks, with their annotations."""
    door = door_of(target)
    if door is None:
        return {}
    if not door._ready:
        door._prepare()
    return {name: entry[0] for name, entry in door.hints.items()}

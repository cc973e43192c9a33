"""Volumes a task's containers share: a task-private scratch volume (bind mount on the task's
ephemeral storage) or an EFS file system, encrypted in transit and authorized with IAM."""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any

from .containers import CONTAINER_NAME_PATTERN, check_absolute_path
from .doors import checked
from .errors import InvalidParameterError
from .validation import expect_bool, expect_interface, expect_str

if TYPE_CHECKING:
    from aws_cdk import aws_efs as efs

EFS_PORT = 2049


def _check_volume_name(name: Any) -> str:
    value = expect_str("volume name", name)
    if not CONTAINER_NAME_PATTERN.fullmatch(value):
        nearest = re.sub(r"[^A-Za-z0-9_-]+", "-", value).strip("-")[:255] or "shared"
        raise InvalidParameterError(
            "volume name",
            value,
            "1 to 255 letters, digits, '_' and '-'",
            nearest=f"{nearest!r}",
        )
    return value


@checked
@dataclass(frozen=True)
class SharedVolume:
    """Scratch space on the task's ephemeral storage that several containers mount (a Unix
    socket, static files the app writes and nginx serves). It lives as long as the task."""

    name: str
    _: KW_ONLY

    def __post_init__(self) -> None:
        _check_volume_name(self.name)


@checked
@dataclass(frozen=True)
class EfsVolume:
    """An EFS file system (optionally through an access point), mounted with TLS in transit
    and IAM authorization. The task role gets ``elasticfilesystem:ClientMount`` (and
    ``ClientWrite`` unless ``read_only``) on exactly this file system; a service running the
    task may reach it on port 2049 and nothing else.

    :param name: the volume's name in the task, used by ``Mount(volume=...)``.
    :param file_system: an ``efs.IFileSystem`` in the cluster's VPC.
    :param access_point: an ``efs.IAccessPoint`` of that file system (recommended: it fixes
        the POSIX user and root directory).
    :param read_only: grant only ``ClientMount`` (mounts of it must be read-only too).
    :param root_directory: directory of the file system to mount when there is no access
        point (default ``/``).
    """

    name: str
    file_system: efs.IFileSystem
    _: KW_ONLY
    access_point: efs.IAccessPoint | None = None
    read_only: bool = False
    root_directory: str = "/"

    def __post_init__(self) -> None:
        _check_volume_name(self.name)
        expect_interface("file_system", self.file_system, "file_system_id", "an efs.IFileSystem")
        if self.access_point is not None:
            expect_interface(
                "access_point", self.access_point, "access_point_id", "an efs.IAccessPoint or None"
            )
        expect_bool("read_only", self.read_only)
        if self.root_directory != "/":
            check_absolute_path("root_directory", self.root_directory)
            if self.access_point is not None:
                raise InvalidParameterError(
                    "root_directory",
                    self.root_directory,
                    "'/' when an access point is given (the access point sets the root)",
                    nearest="root_directory='/'",
                )


Volume = SharedVolume | EfsVolume

"""Server reflection that serves the API's doc comments, so `grpcurl describe` shows them.

protoc's Python modules carry descriptors without comments, and the runtime's descriptor pool drops
source info. `make generate` writes a descriptor set that keeps it; this pool answers reflection from
the runtime's default pool (which knows every registered service) but hands out the documented
FileDescriptorProto for the files the set holds.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, cast

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection

DESCRIPTOR_SET_PACKAGE = "incidents_service_api"
DESCRIPTOR_SET_FILE = "descriptor_set.binpb"


def _documented_files() -> dict[str, descriptor_pb2.FileDescriptorProto]:
    data = resources.files(DESCRIPTOR_SET_PACKAGE).joinpath(DESCRIPTOR_SET_FILE).read_bytes()
    return {file.name: file for file in descriptor_pb2.FileDescriptorSet.FromString(data).file}


class _DocumentedFile:
    """A file descriptor whose CopyToProto includes comments when they are known."""

    def __init__(self, descriptor: Any, documented: dict[str, descriptor_pb2.FileDescriptorProto]) -> None:
        self._descriptor = descriptor
        self._documented = documented
        self.name = descriptor.name

    @property
    def dependencies(self) -> list[_DocumentedFile]:
        return [_DocumentedFile(dependency, self._documented) for dependency in self._descriptor.dependencies]

    def CopyToProto(self, proto: descriptor_pb2.FileDescriptorProto) -> None:
        documented = self._documented.get(self.name)
        if documented is not None:
            proto.CopyFrom(documented)
        else:
            self._descriptor.CopyToProto(proto)


class _DocumentedPool:
    def __init__(self) -> None:
        self._pool = descriptor_pool.Default()
        self._documented = _documented_files()

    def FindFileByName(self, name: str) -> _DocumentedFile:
        return _DocumentedFile(self._pool.FindFileByName(name), self._documented)

    def FindFileContainingSymbol(self, symbol: str) -> _DocumentedFile:
        try:
            descriptor = self._pool.FindFileContainingSymbol(symbol)
        except KeyError:
            # The runtime pool does not index methods; a method lives in its service's file.
            descriptor = self._pool.FindServiceByName(symbol.rpartition(".")[0]).file
        return _DocumentedFile(descriptor, self._documented)

    def FindMessageTypeByName(self, name: str) -> Any:
        return self._pool.FindMessageTypeByName(name)

    def FindExtensionByNumber(self, message: Any, number: int) -> Any:
        return self._pool.FindExtensionByNumber(message, number)

    def FindAllExtensions(self, message: Any) -> Any:
        return self._pool.FindAllExtensions(message)


def enable_documented_reflection(service_names: tuple[str, ...], server: grpc.Server | grpc.aio.Server) -> None:
    reflection.enable_server_reflection(
        (*service_names, reflection.SERVICE_NAME), server, pool=cast(Any, _DocumentedPool())
    )

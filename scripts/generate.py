"""protoc output for every .proto under protos/: Python modules, .pyi stubs, gRPC stubs with their typed
`_pb2_grpc.pyi` stubs (mypy-protobuf's protoc-gen-mypy_grpc), Connect stubs (`*_connect.py`,
protoc-gen-connectrpc over the same google.protobuf `_pb2` messages as gRPC), and a descriptor set that
keeps the doc comments (served by reflection so `grpcurl describe` shows them).

Usage: python scripts/generate.py OUTPUT_DIR
"""

import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"


def main(output: Path) -> int:
    output.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    descriptor_set = output / "incidents_service_api" / "descriptor_set.binpb"
    descriptor_set.parent.mkdir(parents=True, exist_ok=True)
    include = str(Path(protoc.__file__).parent / "_proto")
    connect_plugin = _plugin("protoc-gen-connectrpc")
    grpc_stubs_plugin = _plugin("protoc-gen-mypy_grpc")
    if connect_plugin is None or grpc_stubs_plugin is None:
        return 1
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTOS}",
            f"-I{include}",
            f"--python_out={output}",
            f"--pyi_out={output}",
            f"--grpc_python_out={output}",
            f"--plugin=protoc-gen-connectrpc={connect_plugin}",
            f"--connectrpc_out={output}",
            f"--plugin=protoc-gen-mypy_grpc={grpc_stubs_plugin}",
            f"--mypy_grpc_out={output}",
            # Stubs over google.protobuf messages (the `_pb2` modules gRPC uses), async servers only.
            "--connectrpc_opt=protobuf=google,io=async",
            "--include_imports",
            "--include_source_info",
            f"--descriptor_set_out={descriptor_set}",
            *files,
        ]
    )
    if status != 0:
        return status
    # Regular packages (not namespace ones), so they install and type-check like any other.
    for folder in [p for p in output.rglob("*") if p.is_dir() and p.name != "__pycache__"]:
        (folder / "__init__.py").touch()
    return 0


def _plugin(name: str) -> Path | None:
    """A protoc plugin installed beside this interpreter (.venv/bin), pinned in pyproject.toml."""
    plugin = Path(sys.executable).parent / name
    if plugin.exists():
        return plugin
    found = shutil.which(name)
    if found is None:
        print(f"{name} not found: run `make install`", file=sys.stderr)
        return None
    return Path(found)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

"""protoc output for every .proto under protos/: Python modules, .pyi stubs, gRPC stubs, and a
descriptor set that keeps the doc comments (served by reflection so `grpcurl describe` shows them).

Usage: python scripts/generate.py OUTPUT_DIR
"""

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
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTOS}",
            f"-I{include}",
            f"--python_out={output}",
            f"--pyi_out={output}",
            f"--grpc_python_out={output}",
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


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

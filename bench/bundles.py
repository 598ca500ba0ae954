"""Bundle size: each Lambda's package, unzipped, as `make package` builds it (the layer of
shared dependencies counts towards every function, and each declared layer, such as Imaging's
Pillow, towards the functions that name it). Budget: 25 MiB each."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from infra.package import FUNCTIONS_DIR, LAYER_DIR, lambda_interpreter, package
from infra.resources import STACK
from infra.template import LAYERS_DIR

BUDGET = 25 * 1024 * 1024
MIB = 1024 * 1024


def tree_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def zip_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="insight-bench-") as scratch:
        out = Path(scratch) / "dev"
        interpreter = lambda_interpreter()
        package("dev", out, install_deps=True, interpreter=interpreter)
        if interpreter is None:
            print("(no Python of Lambda's version here: the bundles are measured without their bytecode)")
        layer = tree_size(out / LAYER_DIR)
        print(f"bundle sizes, unzipped (budget {BUDGET // MIB} MiB each; shared layer {layer / MIB:.1f} MiB):")
        chalice_zip = out / "deployment.zip"
        rows = [("Chalice app (APIHandler, OnUpload) + layer", zip_size(chalice_zip) + layer)]
        declared = {item.logical_id: tree_size(out / LAYERS_DIR / item.logical_id) for item in STACK.layers}
        for name, size in declared.items():
            print(f"  declared layer {name}: {size / MIB:.1f} MiB")
        for f in STACK.functions:
            if f.chalice:
                continue
            size = tree_size(out / FUNCTIONS_DIR / f.logical_id) + layer + sum(declared[n] for n in f.layers)
            rows.append((f.logical_id + " + " + " + ".join(("layer", *f.layers)), size))
        for name, size in rows:
            verdict = "ok" if size <= BUDGET else "OVER budget"
            print(f"  {name:<46} {size / MIB:6.1f} MiB  {verdict}")


if __name__ == "__main__":
    main()

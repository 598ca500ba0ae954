"""`make package` ships each module's bytecode, compiled by Lambda's Python, so that a cold start
loads modules instead of compiling them in Lambda's read-only code directory."""

from __future__ import annotations

import importlib.util
import marshal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import infra.package
from infra.package import cold_start_modules, lambda_interpreter, package
from infra.resources import STACK

TAG = sys.implementation.cache_tag
#: PEP 552: bit 0 set, hash-based; bit 1 clear, never checked against the source.
UNCHECKED_HASH = 0b01


def pyc_of(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{TAG}.pyc"


def header_flags(pyc: bytes) -> int:
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    return int.from_bytes(pyc[4:8], "little")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stage packaged without network, its bytecode compiled by this interpreter
    (standing in for Lambda's: the mechanism is the same for any version)."""
    out = tmp_path_factory.mktemp("bytecode")
    package("dev", out, install_deps=False, interpreter=sys.executable)
    return out


def test_every_module_of_a_function_bundle_ships_unchecked_bytecode_with_lambdas_paths(packaged: Path) -> None:
    # Given a function's bundle
    function = next(f for f in STACK.functions if not f.chalice)
    bundle = packaged / "functions" / function.logical_id
    sources = sorted(bundle.rglob("*.py"))
    assert sources
    for source in sources:
        # Then each module has its bytecode beside it, never checked against the source
        pyc = pyc_of(source).read_bytes()
        assert header_flags(pyc) == UNCHECKED_HASH, source
        # And its tracebacks name the file where Lambda has it
        code = marshal.loads(pyc[16:])
        assert code.co_filename == f"/var/task/{source.relative_to(bundle).as_posix()}"


def test_the_bundle_imports_from_its_bytecode(packaged: Path) -> None:
    # Given a function's bundle whose handler's source is then broken (the bytecode is what runs)
    function = next(f for f in STACK.functions if not f.chalice)
    bundle = packaged / "functions" / function.logical_id
    module, attribute = function.handler.rsplit(".", 1)
    source = bundle.joinpath(*module.split(".")).with_suffix(".py")
    source.write_text('raise SystemExit("the source was compiled again")\n')
    # When a fresh interpreter that may write no bytecode imports the handler from the bundle
    code = f"import sys; sys.path.insert(0, '.'); import {module} as m; assert callable(m.{attribute})"
    result = subprocess.run([sys.executable, "-I", "-B", "-c", code], cwd=bundle, capture_output=True, text=True)
    # Then it imports: the shipped bytecode ran, the source was not compiled
    assert result.returncode == 0, result.stderr


def test_chalices_zip_ships_the_bytecode_of_the_app_and_chalicelib(packaged: Path) -> None:
    # Given Chalice's deployment.zip
    with zipfile.ZipFile(packaged / "deployment.zip") as bundle:
        names = set(bundle.namelist())
        sources = [name for name in names if name.endswith(".py")]
        # Then every module in it has its unchecked bytecode
        for name in sources:
            compiled = pyc_of(Path(name)).as_posix()
            assert compiled in names, name
            assert header_flags(bundle.read(compiled)) == UNCHECKED_HASH
    assert {"app.py", "chalicelib/models.py"} <= set(sources)


def test_only_a_python_of_lambdas_version_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given Lambda's runtime named as this interpreter's version
    monkeypatch.setattr(infra.package, "LAMBDA_PYTHON", f"{sys.version_info.major}.{sys.version_info.minor}")
    # Then this interpreter is the one found, and the one accepted when named
    assert lambda_interpreter() == sys.executable
    assert lambda_interpreter(sys.executable) == sys.executable
    # Given another version
    monkeypatch.setattr(infra.package, "LAMBDA_PYTHON", "2.7")
    # Then naming this interpreter is refused, and none found is said by None
    with pytest.raises(SystemExit, match=r"not a Python 2\.7"):
        lambda_interpreter(sys.executable)
    monkeypatch.setattr(infra.package.shutil, "which", lambda name: None)
    monkeypatch.setattr(infra.package.Path, "home", lambda: Path("/nonexistent"))
    assert lambda_interpreter() is None


def test_the_layers_bytecode_covers_what_the_handlers_imports_load() -> None:
    # When the modules that importing every handler loads are listed
    loaded = cold_start_modules()
    # Then they hold the stack's libraries (pydantic, Powertools), as paths inside site-packages
    assert {"pydantic/main.py", "pydantic/fields.py", "aws_lambda_powertools/logging/logger.py"} <= loaded
    assert "aws_lambda_powertools/utilities/batch/base.py" in loaded  # the SQS consumers'
    # And nothing only the tools or the local runtime load
    assert not {path for path in loaded if path.split("/")[0] in {"moto", "insight_local", "pytest", "cfnlint"}}

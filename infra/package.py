"""``make package``: the deployable SAM template and code of a stage, in ``build/<stage>/``.

    python -m infra.package --stage dev [--out build/dev] [--no-deps]

What it writes:

- ``functions/<LogicalId>/``: the code of each function Chalice does not package:
  ``chalicelib/``, ``functions/__init__.py`` and the function's own package;
- ``layer/python/``: requirements.txt installed once for Lambda (manylinux x86_64, the
  CPython of ``template.RUNTIME``), a layer every function uses; without boto3/botocore/s3transfer, which
  the Lambda runtime provides, and without the packages of the declared layers;
- ``layers/<LogicalId>/python/``: each declared layer (``infra.resources.Layer``): its packages
  of requirements.txt, pruned of the files no function uses. Shared objects in every layer are
  stripped of their symbols (``strip``, where the machine has it). ``--no-deps`` leaves the
  layers empty and reaches no network;
- ``deployment.zip``: Chalice's package of ``app.py`` and ``chalicelib/``;
- bytecode, compiled by Lambda's Python (``--python``, else ``python3.12`` on the PATH or pyenv's),
  of every module of the bundles and of the layers' modules that the handlers' imports load:
  Lambda's code directories are read-only, so a module shipped without its ``.pyc`` is compiled
  again at every cold start (measured: a handler's imports after boto3 take 3x as long). The
  layers' other modules (loaded later, if ever) stay source only: their bytecode would cost the
  bundle-size budget for no cold start. Unchecked hash-based ``.pyc`` (PEP 552), valid whatever
  times unzipping gives the files; they name the files where Lambda has them (``/var/task``,
  ``/opt/python``). Without that interpreter the bundles ship without bytecode, and
  ``make package`` says so;
- ``merge-template.json``: what ``infra/template.py`` made of ``infra/resources.py``;
- ``sam.json``: Chalice's template merged with it: the one to deploy.

Chalice runs on a copy of the project whose config gives its functions a role that the
merge replaces (``manage_iam_role: false``) and that has no requirements.txt (the layer
carries them), so Chalice neither writes IAM policies of its own nor downloads anything.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from infra.resources import ROOT, STACK, Function, Layer, Stack
from infra.template import (
    FUNCTIONS_DIR,
    LAMBDA_PYTHON,
    LAYER_DIR,
    LAYERS_DIR,
    StageOptions,
    finish_template,
    merge_template,
)

CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
#: Provided by Lambda's Python runtime: a copy in the layer would shadow the runtime's boto3.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
#: Chalice wants a role ARN when it does not manage the role; the merge replaces it.
ROLE_SET_BY_MERGE = "arn:aws:iam::000000000000:role/replaced-by-infra-template"
OUTPUTS = ("functions", LAYER_DIR, LAYERS_DIR, "deployment.zip", "merge-template.json", "sam.json")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")
#: Wheels for Lambda's Linux and Python, whatever the machine packaging. pip compiles nothing:
#: it would compile for this interpreter's Python; ``precompile`` does it with Lambda's.
PIP_FOR_LAMBDA = (
    "install --quiet --disable-pip-version-check --no-warn-conflicts --no-compile "
    "--only-binary=:all: --implementation cp "
    f"--platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --python-version {LAMBDA_PYTHON}"
).split()


#: Where Lambda puts a function's code and its layers' ``python/`` folders.
TASK_ROOT = "/var/task"
LAYER_ROOT = "/opt/python"


def lambda_interpreter(requested: str | None = None) -> str | None:
    """A Python of Lambda's runtime version (``LAMBDA_PYTHON``) to compile the bundles' bytecode:
    ``requested``, else this one, ``python3.12`` on the PATH or pyenv's; None if there is none."""
    pyenv = sorted(glob.glob(str(Path.home() / ".pyenv" / "versions" / f"{LAMBDA_PYTHON}.*" / "bin" / "python3")))
    candidates = [requested] if requested else [sys.executable, shutil.which(f"python{LAMBDA_PYTHON}"), *pyenv]
    for candidate in candidates:
        if candidate and _python_version(candidate) == LAMBDA_PYTHON:
            return candidate
    if requested:
        raise SystemExit(f"--python {requested}: not a Python {LAMBDA_PYTHON}, Lambda's runtime")
    return None


def _python_version(interpreter: str) -> str | None:
    try:
        run = subprocess.run(  # noqa: S603 (an interpreter we were given or found, a fixed program)
            [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


#: compileall: quiet, PEP 552's unchecked hash-based .pyc (never compared with the source).
COMPILE = ("-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash")


def precompile(tree: Path, interpreter: str, runtime_path: str, only: set[str] | None = None) -> None:
    """Compile the modules under ``tree`` (``only``: those of these paths inside it) with
    ``interpreter``, naming them as found at ``runtime_path`` on Lambda."""
    if only is None:
        targets = str(tree)
    else:
        targets = "\n".join(str(tree / path) for path in sorted(only) if (tree / path).is_file())
        if not targets:
            return
    subprocess.run(  # noqa: S603 (a Python of Lambda's version, a fixed argument list)
        [interpreter, *COMPILE, "-s", str(tree), "-p", runtime_path, "-i", "-"],
        input=targets,
        text=True,
        check=True,
    )


#: Imports every handler of the stack, as a cold start does, and prints the file of each module
#: loaded from the installed packages, as a path inside their site-packages.
#: Imports the handler modules it is given (and nothing else first), as a cold start does, and
#: prints the file of each module loaded from the installed packages, as a path inside them.
IMPORTS_PROBE = """
import importlib, os, sys, sysconfig
site = sysconfig.get_paths()["purelib"]
for module in sys.argv[1:]:
    importlib.import_module(module)
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None) or ""
    if path.endswith(".py") and path.startswith(site + os.sep):
        print(os.path.relpath(path, site))
"""


def cold_start_modules(stack: Stack = STACK) -> set[str]:
    """The installed modules that importing the stack's handlers loads (paths inside
    site-packages), found with this interpreter's packages: requirements.txt pins the layers'."""
    modules = sorted({function.handler.rsplit(".", 1)[0] for function in stack.functions})
    env = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "PATH": os.environ.get("PATH", "")}
    run = subprocess.run(  # noqa: S603 (our own interpreter, a fixed program)
        [sys.executable, "-c", IMPORTS_PROBE, *modules], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return set(run.stdout.split())


def precompile_zip(archive: Path, interpreter: str, runtime_path: str) -> None:
    """Add the bytecode of every module in ``archive`` (Chalice's deployment.zip) to it."""
    with tempfile.TemporaryDirectory(prefix="insight-bytecode-") as scratch:
        tree = Path(scratch)
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(tree)
        precompile(tree, interpreter, runtime_path)
        with zipfile.ZipFile(archive, "a", compression=zipfile.ZIP_DEFLATED) as bundle:
            for compiled in sorted(tree.rglob("*.pyc")):
                bundle.write(compiled, compiled.relative_to(tree).as_posix())


def stage_options(stage: str, overrides: dict[str, Any] | None = None) -> StageOptions:
    """The stage's ``"insight"`` block and environment from ``.chalice/config.json``."""
    config = json.loads(CHALICE_CONFIG.read_text())
    if stage not in config["stages"]:
        raise SystemExit(f"no stage {stage!r} in {CHALICE_CONFIG} (stages: {', '.join(config['stages'])})")
    stage_config = config["stages"][stage]
    environment = {**config.get("environment_variables", {}), **stage_config.get("environment_variables", {})}
    return StageOptions(
        stage=stage, environment=environment, **{**stage_config.get("insight", {}), **(overrides or {})}
    )


def bundle_function(function: Function, target: Path) -> None:
    """chalicelib/ and the function's package: ``functions.<name>.handler.lambda_handler``."""
    package = function.handler.split(".")[:2]
    if package[0] != FUNCTIONS_DIR or not (ROOT.joinpath(*package) / "__init__.py").is_file():
        raise ValueError(f"{function.logical_id}: handler {function.handler} is not in a package of functions/")
    shutil.copytree(ROOT / "chalicelib", target / "chalicelib", ignore=IGNORED)
    (target / FUNCTIONS_DIR).mkdir(parents=True)
    shutil.copy2(ROOT / FUNCTIONS_DIR / "__init__.py", target / FUNCTIONS_DIR / "__init__.py")
    shutil.copytree(ROOT.joinpath(*package), target.joinpath(*package), ignore=IGNORED)


def distribution_name(requirement: str) -> str:
    """``pillow`` for ``Pillow==13.0.0``, ``aws-lambda-powertools`` for ``aws_lambda_powertools[tracer]==3``."""
    name = re.split(r"[\[=<>!~; ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(only: tuple[str, ...] | None = None, without: tuple[str, ...] = ()) -> list[str]:
    """requirements.txt's pins: those of the packages ``only`` names, or all but ``without``."""
    pins = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.strip().startswith(("#", "-"))
    ]
    wanted = {distribution_name(name) for name in only} if only is not None else None
    excluded = {distribution_name(name) for name in without}
    chosen = [
        pin
        for pin in pins
        if (wanted is None or distribution_name(pin) in wanted) and distribution_name(pin) not in excluded
    ]
    if wanted is not None and {distribution_name(pin) for pin in chosen} != wanted:
        raise ValueError(f"a layer names packages that requirements.txt does not pin: {sorted(wanted)}")
    return chosen


def pip_install(site: Path, pins: list[str], dependencies: bool = True) -> None:
    options = [] if dependencies else ["--no-deps"]
    subprocess.run(  # noqa: S603 (our own interpreter, a fixed argument list)
        [sys.executable, "-m", "pip", *PIP_FOR_LAMBDA, *options, "--target", str(site), *pins], check=True
    )
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: nothing runs them on Lambda


def strip_shared_objects(site: Path) -> bool:
    """Strip the symbols of every shared object under ``site`` (what serverless-python-requirements'
    ``slim`` does): the code is unchanged, the debugging information goes. False without ``strip``."""
    tool = shutil.which("strip")
    if tool is None:
        return False
    for path in sorted(site.rglob("*.so*")):
        if path.is_file() and not path.is_symlink():
            subprocess.run([tool, "--strip-unneeded", str(path)], check=True)  # noqa: S603 (fixed arguments)
    return True


def build_layer(target: Path, install: bool, stack: Stack = STACK) -> None:
    """The shared layer: requirements.txt but the packages of the declared layers."""
    site = target / "python"
    site.mkdir(parents=True)
    if not install:
        return
    claimed = tuple(name for layer in stack.layers for name in layer.packages)
    pip_install(site, requirements(without=claimed))
    for distribution in RUNTIME_PROVIDED:
        remove_distribution(site, distribution)
    keep_only(site / "stripe", stripe_verifier_files())
    strip_shared_objects(site)


def build_declared_layer(layer: Layer, target: Path, install: bool) -> None:
    """A declared layer: its packages (without dependencies: those are in the shared layer),
    less the files it prunes."""
    site = target / "python"
    site.mkdir(parents=True)
    if not install:
        return
    pip_install(site, requirements(only=layer.packages), dependencies=False)
    for pattern in layer.prune:
        for path in site.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    strip_shared_objects(site)


#: Insight uses one thing of the stripe package: its webhook signature check. The package
#: ships every Stripe API resource (17 MiB of Python, more than half the layer); the check
#: loads 25 of its modules. The layer keeps those, found by running the check.
STRIPE_PROBE = """
import hashlib, hmac, os, sys, time
import stripe
secret, body, now = "whsec_probe", b'{"id": "evt_probe", "type": "probe"}', int(time.time())
good = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
stripe.WebhookSignature.verify_header(body, f"t={now},v1={good}", secret, 300)
for header in (f"t={now},v1=00", f"t={now - 3600},v1={good}", "garbled", ""):
    try:
        stripe.WebhookSignature.verify_header(body, header, secret, 300)
    except stripe.SignatureVerificationError:
        pass
root = os.path.dirname(stripe.__file__)
for name, module in sorted(sys.modules.items()):
    if name.split(".")[0] == "stripe" and getattr(module, "__file__", None):
        print(os.path.relpath(module.__file__, root))
"""


def stripe_verifier_files() -> set[str]:
    """The files of the stripe package that verifying a signature loads (paths inside it).

    Run with this interpreter's stripe, the same version as the layer's (pinned exactly)."""
    run = subprocess.run(  # noqa: S603 (our own interpreter, a fixed program)
        [sys.executable, "-I", "-c", STRIPE_PROBE], capture_output=True, text=True, check=True
    )
    return set(run.stdout.split())


def keep_only(package: Path, files: set[str]) -> None:
    """Delete every file of ``package`` but ``files`` (paths inside it), then empty folders."""
    if not package.is_dir():
        return
    for path in package.rglob("*"):
        if path.is_file() and path.relative_to(package).as_posix() not in files:
            path.unlink()
    for directory in sorted((d for d in package.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def remove_distribution(site: Path, name: str) -> None:
    """Delete an installed distribution's files, as listed in its RECORD."""
    for dist_info in site.glob(f"{name}-*.dist-info"):
        for line in (dist_info / "RECORD").read_text().splitlines():
            path = site / line.split(",")[0]
            if ".." not in path.parts and path.is_file():
                path.unlink()
        shutil.rmtree(dist_info, ignore_errors=True)
    for directory in sorted((d for d in site.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def chalice_project(target: Path) -> None:
    """The app, chalicelib/ and a config that leaves the functions' roles to the merge."""
    shutil.copy2(ROOT / "app.py", target / "app.py")
    shutil.copytree(ROOT / "chalicelib", target / "chalicelib", ignore=IGNORED)
    config = json.loads(CHALICE_CONFIG.read_text())
    for stage in config["stages"].values():
        stage.pop("insight", None)
    config.update(manage_iam_role=False, iam_role_arn=ROLE_SET_BY_MERGE)
    (target / ".chalice").mkdir()
    (target / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))


def run_chalice(project: Path, stage: str, merge: Path, out: Path) -> None:
    # Chalice wants a region although the template names none.
    env = {"AWS_DEFAULT_REGION": "us-east-1", **os.environ}
    command = (
        "from chalice.cli import main; import sys; sys.exit(main())",
        "--project-dir",
        str(project),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge),
        str(out),
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter, a fixed argument list)
        [sys.executable, "-c", *command], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"chalice package failed:\n{result.stdout}{result.stderr}")


def package(
    stage: str,
    out: Path | None = None,
    install_deps: bool = True,
    overrides: dict[str, Any] | None = None,
    stack: Stack = STACK,
    interpreter: str | None = None,
) -> Path:
    """Write the stage's template and code into ``out``; return the template's path.

    ``interpreter``: a Python of Lambda's version that compiles the bundles' bytecode (None: none)."""
    out = (out or ROOT / "build" / stage).resolve()
    options = stage_options(stage, overrides)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)

    for function in stack.functions:
        if not function.chalice:
            bundle_function(function, out / FUNCTIONS_DIR / function.logical_id)
    build_layer(out / LAYER_DIR, install_deps, stack)
    for layer in stack.layers:
        build_declared_layer(layer, out / LAYERS_DIR / layer.logical_id, install_deps)

    merge = out / "merge-template.json"
    merge.write_text(json.dumps(merge_template(stack, options), indent=2))
    with tempfile.TemporaryDirectory(prefix="insight-chalice-") as project:
        chalice_project(Path(project))
        run_chalice(Path(project), stage, merge, out)

    if interpreter:
        for function in stack.functions:
            if not function.chalice:
                precompile(out / FUNCTIONS_DIR / function.logical_id, interpreter, TASK_ROOT)
        precompile_zip(out / "deployment.zip", interpreter, TASK_ROOT)
        loaded = cold_start_modules(stack)
        precompile(out / LAYER_DIR / "python", interpreter, LAYER_ROOT, only=loaded)
        for layer in stack.layers:
            precompile(out / LAYERS_DIR / layer.logical_id / "python", interpreter, LAYER_ROOT, only=loaded)

    template_path = out / "sam.json"
    template = finish_template(json.loads(template_path.read_text()), stack, options)
    template_path.write_text(json.dumps(template, indent=2))
    return template_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json (dev, prod)")
    parser.add_argument("--out", type=Path, help="output directory (default build/<stage>)")
    parser.add_argument("--no-deps", action="store_true", help="leave the dependency layer empty (no network)")
    parser.add_argument("--python", help=f"a Python {LAMBDA_PYTHON} to compile the bundles' bytecode with")
    args = parser.parse_args(argv)
    interpreter = lambda_interpreter(args.python)
    template = package(args.stage, args.out, install_deps=not args.no_deps, interpreter=interpreter)
    out = template.parent
    shown = out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out
    print(
        f"""Wrote {shown}/sam.json. To deploy it (docs/DEPLOY.md):

  aws cloudformation package --template-file {shown}/sam.json \\
      --s3-bucket <an artifacts bucket in the target region> --output-template-file {shown}/packaged.yaml
  aws cloudformation deploy --template-file {shown}/packaged.yaml --stack-name insight-{args.stage} \\
      --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"""
    )
    if interpreter is None:
        print(
            f"\nWarning: no Python {LAMBDA_PYTHON} found (Lambda's runtime; --python names one): the bundles "
            "ship without bytecode, and every cold start compiles their modules again."
        )
    if args.no_deps:
        print("\nWarning: --no-deps left the dependency layer empty; this package cannot run on Lambda.")


if __name__ == "__main__":
    main()

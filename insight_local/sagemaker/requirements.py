"""A source directory's ``requirements.txt``, as far as the local runtime can honour it.

SageMaker's framework containers pip-install a ``requirements.txt`` found beside the entry
point before they run a training script or load an inference script. The local runtime has
no network: it runs the scripts with this venv's packages and installs nothing. So it reads
the file and checks that the venv already satisfies every line; one that it does not is the
job's (or the model's) failure, naming the package, instead of an ImportError deep in the
script.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

FILE = "requirements.txt"


def unmet(code: Path) -> list[str]:
    """What ``code``'s requirements.txt asks for that this venv does not have, each said in a
    few words; an empty list when there is no file or all is there."""
    path = code / FILE
    if not path.is_file():
        return []
    problems = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            problems.append(f"line {number} ({line}): pip options install nothing offline")
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            problems.append(f"line {number} ({line}): {error}")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        if requirement.url:
            problems.append(f"{requirement.name} from {requirement.url}: nothing is fetched offline")
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement} (not installed)")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            problems.append(f"{requirement} ({installed} installed)")
    return problems


def explain(code: Path) -> str | None:
    """The failure to report for ``code``'s unmet requirements, or None when they are met."""
    problems = unmet(code)
    if not problems:
        return None
    return (
        f"{FILE} asks for what the local runtime's environment does not have: {'; '.join(problems)}. "
        "The local SageMaker installs nothing (no network): add these to requirements-dev.txt"
    )

"""The local SageMaker's reading of a source directory's requirements.txt."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from insight_local.sagemaker.requirements import explain, unmet


def source(tmp_path: Path, text: str) -> Path:
    (tmp_path / "requirements.txt").write_text(text)
    return tmp_path


def test_no_file_asks_for_nothing(tmp_path: Path) -> None:
    assert unmet(tmp_path) == []
    assert explain(tmp_path) is None


def test_what_the_environment_has_is_met(tmp_path: Path) -> None:
    numpy = metadata.version("numpy")
    text = f"# pinned as the container has it\nnumpy=={numpy}\nscikit-learn>=1.0  # the framework\n\njoblib\n"
    assert unmet(source(tmp_path, text)) == []


def test_each_unmet_line_is_named_with_what_is_installed(tmp_path: Path) -> None:
    numpy = metadata.version("numpy")
    text = "numpy<1.0\nno-such-package-for-insight\n-r more.txt\nnot a requirement!\ngit+https://x.example/a.git\n"
    problems = unmet(source(tmp_path, text))
    assert problems[0] == f"numpy<1.0 ({numpy} installed)"
    assert problems[1] == "no-such-package-for-insight (not installed)"
    assert problems[2] == "line 3 (-r more.txt): pip options install nothing offline"
    assert problems[3].startswith("line 4 (not a requirement!): ")
    assert len(problems) == 5


def test_a_line_for_another_platform_is_skipped(tmp_path: Path) -> None:
    assert unmet(source(tmp_path, "pywin32>=300; sys_platform == 'win32'\n")) == []


def test_the_explanation_says_what_to_do(tmp_path: Path) -> None:
    message = explain(source(tmp_path, "no-such-package-for-insight==2\n"))
    assert message is not None
    assert "no-such-package-for-insight==2 (not installed)" in message
    assert "add these to requirements-dev.txt" in message

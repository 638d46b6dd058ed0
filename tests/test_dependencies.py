"""Dependency floors: the installed libraries that parse untrusted input are at or past the releases
that fixed their known holes. Fails when an older one is installed."""

from importlib.metadata import version

import pymupdf
import pytest

FLOORS = {
    # package: (lowest safe release, why)
    "starlette": ("0.49.1", "CVE-2025-62727 (Range header DoS in FileResponse), CVE-2025-54121 (multipart spooling)"),
    "python-multipart": ("0.0.22", "CVE-2026-24486 (path traversal), CVE-2024-53981 (boundary ReDoS)"),
    "fastapi": ("0.120.0", "pulls a patched Starlette"),
}


def parse(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("+")[0].split(".")[:3] if p.isdigit())


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_web_stack_is_past_its_known_upload_holes(package):
    floor, why = FLOORS[package]
    assert parse(version(package)) >= parse(floor), f"{package} {version(package)} < {floor}: {why}"


def test_mupdf_is_at_least_1_28():
    assert parse(pymupdf.VersionFitz) >= (1, 28, 0), f"MuPDF {pymupdf.VersionFitz} < 1.28.0 (CVE-2026-3308)"


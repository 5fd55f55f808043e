"""Pin third-party front-end assets into static/vendor/ from the npm registry.

Each asset is taken from the package's published tarball, checked against the registry's
sha512 integrity value, and copied with the package's licence. Run it (``make vendor``) to
update a pin after changing a version below; commit the result. Pages never load from a CDN.
"""

import base64
import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
SOURCE_MAP = re.compile(rb"\n?/[*/]# sourceMappingURL=[^\n]*?(?:\*/)?(?=\n|$)")
VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"

# package -> (version, {path in the tarball: path under static/vendor/<package>/})
ASSETS = {
    "bootstrap": (
        "5.3.9",
        {
            "package/dist/css/bootstrap.min.css": "css/bootstrap.min.css",
            "package/dist/js/bootstrap.bundle.min.js": "js/bootstrap.bundle.min.js",
            "package/LICENSE": "LICENSE",
        },
    ),
}


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (fixed https URL)
        return response.read()


def pin(package: str, version: str, files: dict[str, str]) -> None:
    meta = json.loads(fetch(f"{REGISTRY}/{package}/{version}"))
    tarball = fetch(meta["dist"]["tarball"])
    algorithm, _, expected = meta["dist"]["integrity"].partition("-")
    if algorithm != "sha512":
        sys.exit(f"{package}: unexpected integrity algorithm {algorithm}")
    actual = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if actual != expected:
        sys.exit(f"{package}@{version}: tarball does not match the registry's integrity value")
    target = VENDOR / package
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for source, destination in files.items():
            member = archive.extractfile(source)
            if member is None:
                sys.exit(f"{package}@{version}: {source} missing from the tarball")
            path = target / destination
            path.parent.mkdir(parents=True, exist_ok=True)
            data = member.read()
            if path.suffix in {".css", ".js"}:
                # The maps are not pinned; a dangling reference would break collectstatic.
                data = SOURCE_MAP.sub(b"", data)
            path.write_bytes(data)
    (target / "VERSION").write_text(f"{package}@{version} {meta['dist']['integrity']}\n")
    print(f"pinned {package}@{version} into {target.relative_to(VENDOR.parent.parent)}")


def main() -> None:
    for package, (version, files) in ASSETS.items():
        pin(package, version, files)


if __name__ == "__main__":
    main()

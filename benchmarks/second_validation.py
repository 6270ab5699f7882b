"""The second validation set: camera photographs of another origin than the training data.

The training photographs come from BSDS, GCompris, the OpenCV docs, MATE and Plasma wallpapers,
scikit-image and scikit-learn. These 14 come from Debian's ``lomiri-wallpapers-16.04`` and
``lomiri-wallpapers-20.04`` packages: entries of the Ubuntu wallpaper contests by their photographers,
each under its own Creative Commons licence (the packages' copyright files, quoted below). Renders,
illustrations and the two photographs of patterns were left out.

This fetches the two packages with ``apt-get download`` (no root needed), takes the photographs out,
scales each so that its longer side is 1024 px (Lanczos, never up), as the training photographs were,
and writes them as PNG with a LICENSES.md beside them. Nothing of it goes into the repository:

    python benchmarks/second_validation.py ../second-val
    steg eval --model isn-1 --covers ../second-val --secrets ../second-val --size 256 --pairs 28
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

PACKAGES = ("lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04")
LONGER_SIDE = 1024

# file in /usr/share/backgrounds -> (package, licence from the package's debian/copyright)
PHOTOGRAPHS = {
    "aitzgorri_by_Aitzol_Berasategi.jpg": ("lomiri-wallpapers-16.04", "CC-BY-4.0"),
    "Bridge_by_Sander_Klootwijk.jpg": ("lomiri-wallpapers-16.04", "CC-BY-SA-4.0"),
    "Dragonfly_by_Bolly.jpg": ("lomiri-wallpapers-16.04", "CC-BY-SA-4.0"),
    "free_by_Peter_Nerlich.jpg": ("lomiri-wallpapers-16.04", "CC-BY-SA-4.0"),
    "friends_by_Aitzol_Berasategi.jpg": ("lomiri-wallpapers-16.04", "CC-BY-4.0"),
    "life_by_Aitzol_Berasategi.jpg": ("lomiri-wallpapers-16.04", "CC-BY-4.0"),
    "picosdeeuropa_by_Aitzol_Berasategi.jpg": ("lomiri-wallpapers-16.04", "CC-BY-4.0"),
    "Picture_0B_by_freespace.jpg": ("lomiri-wallpapers-16.04", "CC-BY-4.0"),
    "Picture_1A_by_freespace.jpg": ("lomiri-wallpapers-16.04", "CC-BY-4.0"),
    "seeding_by_Clements_Engelhardt.jpg": ("lomiri-wallpapers-16.04", "CC0-1.0"),
    "sunset_by_Aitzol_Berasategi.jpg": ("lomiri-wallpapers-16.04", "CC-BY-4.0"),
    "Wine_by_Jakkub_Mede.jpg": ("lomiri-wallpapers-16.04", "CC-BY-4.0"),
    "Infinite-Sea_by_Aury88.jpg": ("lomiri-wallpapers-20.04", "CC-BY-SA-3.0"),
    "Kleiber_by_Lukas_Baubkus.jpg": ("lomiri-wallpapers-20.04", "CC-BY-SA-3.0"),
}


def fetch(folder: Path) -> list[Path]:
    """The packages' .deb files, downloaded into ``folder``."""
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=folder, check=True, capture_output=True)
    debs = sorted(folder.glob("*.deb"))
    if len(debs) != len(PACKAGES):
        raise SystemExit(f"apt-get download gave {[d.name for d in debs]}, expected {PACKAGES}")
    return debs


def extract(deb: Path, into: Path) -> None:
    """The package's files under ``into`` (dpkg-deb, which every Debian system has)."""
    subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the photographs to (created)")
    args = parser.parse_args()
    from PIL import Image

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        for deb in fetch(root):
            extract(deb, root / "fs")
        rows = []
        for name, (package, licence) in sorted(PHOTOGRAPHS.items(), key=lambda item: item[0].lower()):
            image = Image.open(root / "fs/usr/share/backgrounds" / name).convert("RGB")
            scale = min(1.0, LONGER_SIDE / max(image.size))
            if scale < 1:
                image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
            target = args.out / f"lomiri-{Path(name).stem}.png"
            image.save(target)
            rows.append(f"| {target.name} | {package} | `/usr/share/backgrounds/{name}` | {licence} |")
            print(f"{target.name}: {image.width}x{image.height}")
    (args.out / "LICENSES.md").write_text(
        "# Second validation set\n\nWritten by stegcli's `benchmarks/second_validation.py` from Debian packages; "
        "the licence column quotes each package's `/usr/share/doc/<package>/copyright`.\n\n"
        "| file | source package | original path | licence |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

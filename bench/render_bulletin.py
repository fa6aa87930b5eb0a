"""Render the first page of seed 004 (工作简报第56期) as written by ``wufei.plan.bulletin_docx``
to a PNG, to compare its layout with the original by eye. A one-off, not a test dependency.

Needs LibreOffice Writer and poppler (``apt-get install libreoffice-writer fonts-noto-cjk
poppler-utils``). The bulletin is built from ``wufei/plan/data/bulletin-056.json`` without a
database. The founders' fonts (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312, 黑体) are not free; a
private fontconfig file maps them to the Noto CJK faces so the render shows serif titles and
body instead of whatever the machine falls back to.

    .venv/bin/python bench/render_bulletin.py [--out docs/images/bulletin-056-page1.png]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wufei.settings")

ALIASES = {
    "方正小标宋简体": "Noto Serif CJK SC",
    "仿宋_GB2312": "Noto Serif CJK SC",
    "楷体_GB2312": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC",
}


def fontconfig(directory: Path) -> Path:
    aliases = "".join(
        f"<alias binding='same'><family>{name}</family><prefer><family>{face}</family>"
        "</prefer></alias>"
        for name, face in ALIASES.items()
    )
    path = directory / "fonts.conf"
    path.write_text(
        "<?xml version='1.0'?><!DOCTYPE fontconfig SYSTEM 'fonts.dtd'><fontconfig>"
        f"<include ignore_missing='yes'>/etc/fonts/fonts.conf</include>{aliases}</fontconfig>",
        encoding="utf-8",
    )
    return path


def seed_docx() -> bytes:
    import django

    django.setup()
    from wufei.plan.bulletin_docx import bulletin_docx
    from wufei.plan.bulletins import seed_input
    from wufei.plan.models import Article, Bulletin

    data = seed_input()
    bulletin = Bulletin(
        number=data.number,
        issued_on=data.issued_on,
        masthead=data.masthead,
        office=data.office,
        send_to=data.send_to,
        copy_to=data.copy_to,
    )
    articles = [
        Article(order=i, kind=a.kind, title=a.title, body=a.body, in_contents=a.kind != "brief")
        for i, a in enumerate(data.articles, start=1)
    ]
    return bulletin_docx(bulletin, articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs/images/bulletin-056-page1.png"))
    parser.add_argument("--page", type=int, default=1)
    args = parser.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        sys.exit("needs soffice (libreoffice-writer) and pdftoppm (poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docx = work / "bulletin-056.docx"
        docx.write_bytes(seed_docx())
        env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig(work)), "HOME": tmp}
        subprocess.run(  # noqa: S603 - fixed arguments
            [soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(docx)],
            check=True,
            env=env,
            capture_output=True,
            timeout=300,
        )
        prefix = work / "page"
        page = str(args.page)
        pdftoppm = shutil.which("pdftoppm") or "pdftoppm"
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                pdftoppm,
                "-png",
                "-r",
                "80",
                "-f",
                page,
                "-l",
                page,
                str(work / "bulletin-056.pdf"),
                str(prefix),
            ],
            check=True,
            timeout=120,
        )
        produced = sorted(work.glob("page*.png"))
        shutil.copy(produced[0], args.out)
    print(args.out)


if __name__ == "__main__":
    main()

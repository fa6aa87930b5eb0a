"""The English catalog: complete, compiled, and used by the pages."""

import gettext
import re
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def po_msgids() -> list[str]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    ids = []
    for block in text.split("\n\n")[1:]:
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if match:
            ids.append("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))))
    return [i.replace('\\"', '"').replace("\\\\", "\\") for i in ids if i]


def test_every_entry_is_translated_and_compiled():
    with (LOCALE / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog
    ids = po_msgids()
    assert len(ids) > 300
    missing = [i for i in ids if not (catalog.get(i) or catalog.get((i, 0)))]
    assert missing == [], "translate these in django.po, then run msgfmt"


def test_pages_speak_english_when_asked():
    with translation.override("en"):
        assert translation.gettext("许昌市固体废物智慧服务平台") == (
            "Xuchang Solid Waste Smart Service Platform"
        )
        assert translation.gettext("危险废物利用处置设施") == "Hazardous-waste treatment facility"
    with translation.override("zh-hans"):
        assert translation.gettext("一张图") == "一张图"


def test_streams_and_bureaus_are_named_in_the_active_language(db):
    from wufei.accounts.models import Department
    from wufei.registry.models import WasteStream

    stream = WasteStream.objects.get(code="hazardous")
    bureau = Department.objects.get(code="ecology")
    assert (str(stream), str(bureau)) == ("危险废物", "市生态环境局")
    with translation.override("en"):
        assert (str(stream), str(bureau)) == ("Hazardous waste", "Ecology and Environment Bureau")

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from wufei.core.export import Column, column, label_of, plain, resolve, write_xlsx, xlsx_response
from wufei.registry.models import Facility, Party, Permit, Site


class Row:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def read(content: bytes):
    return list(
        load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
    )


def test_resolve_follows_paths_choices_and_methods():
    site = Site(name="厂区", kind="factory")
    site.party = Party(name="某公司")
    assert resolve(site, "party.name") == "某公司"
    assert resolve(site, "kind") == "工业企业"  # the choice label, not the stored value
    assert resolve(Site(name="x"), "party_id") is None
    permit = Permit(valid_from=date(2020, 1, 1), valid_to=date(2020, 12, 31), status="active")
    assert resolve(permit, "get_effective_status_display") == "已过期"
    assert resolve(Row(a=None), "a.b.c") is None


def test_labels_come_from_verbose_names():
    assert str(label_of(Party, "region.name")) == "注册地"
    assert str(label_of(Site, "party.name")) == "单位"
    assert str(label_of(Facility, "site.name")) == "场所"
    assert str(label_of(Party, "credit_code")) == "统一社会信用代码"
    assert str(column(Site, "lon").header) == "经度"


def test_plain_reads_like_a_person():
    assert plain(True) == "是"
    assert plain(None) == ""
    assert plain(["T", "C"]) == "T、C"
    aware = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    shown = plain(aware)  # Asia/Shanghai wall time, without tzinfo (Excel has none)
    assert shown.tzinfo is None and (shown.hour, shown.minute) == (8, 0)
    assert plain(Decimal("1.5")) == Decimal("1.5")


def test_workbook_has_title_filters_headers_and_rows():
    columns = [
        Column("名称", "name", width=20),
        Column("能力", "tonnes", numeric=True),
        Column("公式样", lambda r: "=1+1"),
    ]
    rows = [Row(name="甲", tonnes=Decimal("30.5")), Row(name="乙", tonnes=None)]
    content, count = write_xlsx(
        title="设施", columns=columns, rows=iter(rows), filters=[("区划", "魏都区")]
    )
    assert count == 2
    table = read(content)
    assert table[0][0] == "设施"
    assert "区划：魏都区" in table[1][0] and "导出时间" in table[1][0]
    assert table[2] == ("名称", "能力", "公式样")
    assert table[3] == ("甲", 30.5, "=1+1")  # formula-looking text stays text
    assert table[4][:2] == ("乙", None)


def test_workbook_without_filters_says_all():
    content, count = write_xlsx(title="单位", columns=[Column("名称", "name")], rows=[])
    assert count == 0
    assert "筛选条件：全部" in read(content)[1][0]


def test_response_is_an_attachment_with_a_utf8_name():
    response = xlsx_response(title="许可证", columns=[Column("编号", "n")], rows=[Row(n="A1")])
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%E8%AE%B8%E5%8F%AF%E8%AF%81" in response["Content-Disposition"]
    assert response["X-Row-Count"] == "1"


@pytest.mark.parametrize("title", ["a/b:c*d?[e]", "很长的标题" * 10])
def test_sheet_titles_are_made_valid(title):
    content, _ = write_xlsx(title=title, columns=[Column("x", "x")], rows=[])
    book = load_workbook(io.BytesIO(content), read_only=True)
    name = book.sheetnames[0]
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")

"""Validation of the national codes the registry stores.

- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a
  31-symbol alphabet; the 18th is a check character over the first 17.
- Hazardous waste codes (国家危险废物名录 2021, Article 5): ``XXX-XXX-XX`` where the last two
  digits are the HW category number.
- Non-hazardous solid waste codes (固体废物分类与代码目录, 2024): ``XXX-XXX-SXX`` where
  ``SXX`` is the second-level class; S01-S59 (not S08) industrial, S60-S69 household,
  S70-S79 construction, S80-S89 agricultural, S90-S99 other.
- Vehicle plates (GA 36): province character, issuing-authority letter, 5 or 6 symbols.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    if not _USCC_RE.match(value or ""):
        raise ValidationError(
            _("统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）。"),
            code="credit_code_format",
        )
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误：第 18 位应为 %(expected)s，实为 %(actual)s。"),
            code="credit_code_checksum",
            params={"expected": expected, "actual": value[17]},
        )


HW_CODE_RE = re.compile(r"^(\d{3})-(\d{3})-(\d{2})$")
NONHAZ_CODE_RE = re.compile(r"^(\d{3})-(\d{3})-S(\d{2})$")

# Second-level class ranges of the non-hazardous catalogue → platform stream codes.
NONHAZ_CLASS_STREAMS = (
    (1, 59, "industrial"),
    (60, 69, "household"),
    (70, 79, "construction"),
    (80, 89, "agricultural"),
    (90, 99, "other"),
)


@dataclass(frozen=True)
class ParsedWasteCode:
    code: str
    hazardous: bool
    category: str  # "HW08" or "S60"
    stream_code: str  # platform stream code the format implies


def parse_waste_code(value: str) -> ParsedWasteCode:
    """Parse a hazardous or non-hazardous waste code; raise ``malformed_waste_code``."""
    text = (value or "").strip().upper()
    if m := HW_CODE_RE.match(text):
        number = int(m.group(3))
        if 1 <= number <= 50 and not 41 <= number <= 44:
            return ParsedWasteCode(text, True, f"HW{number:02d}", "hazardous")
    elif m := NONHAZ_CODE_RE.match(text):
        number = int(m.group(3))
        for low, high, stream in NONHAZ_CLASS_STREAMS:
            if low <= number <= high and number != 8:
                return ParsedWasteCode(text, False, f"S{number:02d}", stream)
    raise ValidationError(
        _(
            "废物代码 “%(value)s” 格式错误：危险废物为 XXX-XXX-XX（末两位为 HW 类别 01–50），"
            "一般固体废物为 XXX-XXX-SXX。"
        ),
        code="malformed_waste_code",
        params={"value": value},
    )


def validate_waste_code_format(value: str) -> None:
    parse_waste_code(value)


PLATE_RE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警]$"
)


def normalise_plate(value: str) -> str:
    return re.sub(r"[\s·•.\-]", "", value or "").upper()


def validate_plate(value: str) -> None:
    if not PLATE_RE.match(normalise_plate(value)):
        raise ValidationError(
            _("车牌号 “%(value)s” 格式错误，例如：豫K12345 或 豫KD12345。"),
            code="plate_format",
            params={"value": value},
        )


def _org_code_check(first8: str) -> str:
    """GB 11714 check character of an organisation code (positions 9-17 of a credit code)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(first8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_credit_code(adcode: str, serial: int, kind: str = "91") -> str:
    """A well-formed credit code for ``adcode`` (both check characters right).

    ``kind`` is the registration authority and organisation type: 91 enterprise,
    12 public institution, 11 government organ, 52 social organisation, 92 individual business.
    """
    org = f"{serial % 10**8:08d}"
    first17 = f"{kind}{adcode[:6]}{org}{_org_code_check(org)}"
    return first17 + uscc_check_character(first17)

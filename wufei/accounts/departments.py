"""The city bureaus of the zero-waste programme and the streams each regulates.

From the plan's division of labour (seed 000, tasks 4-14 and part 4): ecology and environment
leads on hazardous, medical (disposal), general industrial waste and sludge; urban management
on household, kitchen and construction waste; agriculture and rural affairs on agricultural
waste; health on medical waste at source; housing and construction on construction waste and
municipal sludge; commerce on renewable resources; the postal bureau on express packaging.
"""

DEPARTMENTS = (
    (
        "ecology",
        "市生态环境局",
        "Ecology and Environment Bureau",
        ("hazardous", "industrial", "sludge"),
    ),
    ("urban", "市城市管理局", "Urban Management Bureau", ("household", "kitchen", "construction")),
    ("agriculture", "市农业农村局", "Agriculture and Rural Affairs Bureau", ("agricultural",)),
    ("health", "市卫生健康委员会", "Health Commission", ("medical",)),
    (
        "housing",
        "市住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
        ("construction", "sludge"),
    ),
    ("commerce", "市商务局", "Commerce Bureau", ("renewable",)),
    ("postal", "市邮政管理局", "Postal Administration", ("express-packaging",)),
)


def load_departments(get_model) -> int:
    Department = get_model("accounts", "Department")
    WasteStream = get_model("registry", "WasteStream")
    for code, name, name_en, streams in DEPARTMENTS:
        department, _ = Department.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
        department.streams.set(WasteStream.objects.filter(code__in=streams))
    return len(DEPARTMENTS)

"""Reading the steps sheet of a plan workbook: one row per step, the weakness and
measure repeated (or left empty for "same as above") on each row.
"""

from typing import Any

from ...i18n import _
from .spec import (
    PathT,
    Problem,
)
from .xlsx_layout import STEP_COLUMNS, _header_map, _rows, _xlsx_date, _xlsx_number, _xlsx_text, _XlsxPlaces


def _read_steps_sheet(ws, raw: dict, places: _XlsxPlaces, problems: list[Problem], letter_of) -> None:
    rows = _rows(ws)
    if not rows:
        problems.append(Problem(f"แผ่นงาน “{ws.title}”", _("ไม่มีข้อมูล")))
        return
    by_key = {c.key: c for c in STEP_COLUMNS}
    cols = _header_map(ws, rows[0][1], STEP_COLUMNS, places, problems, letter_of)
    if any(c.required and c.key not in cols for c in STEP_COLUMNS):
        return

    def cell_place(path: PathT, row_no: int, key: str) -> None:
        places.at(path, ws.title, row_no, by_key[key], letter_of(cols[key] + 1))

    weaknesses: list[dict] = []
    w_numbers: dict[int, int] = {}  # weakness no. → first row, to catch scattered rows
    current_w: dict | None = None
    current_m: dict | None = None
    dates = {"start", "due"}

    for row_no, row in rows[1:]:
        values: dict[str, Any] = {}
        for key, idx in cols.items():
            cell = row[idx] if idx < len(row) else None
            values[key] = _xlsx_date(cell) if key in dates else _xlsx_text(cell)
        if all(v is None for v in values.values()):
            continue
        here = places.describe(ws.title, row_no)

        # -- weakness
        w_no_raw = values.get("weakness_no")
        if w_no_raw is None:
            if current_w is None:
                problems.append(Problem(here, _("แถวแรกต้องระบุประเด็นที่")))
                continue
        else:
            w_no = _xlsx_number(w_no_raw)
            if w_no is None:
                problems.append(
                    Problem(
                        places.describe(ws.title, row_no, by_key["weakness_no"], letter_of(cols["weakness_no"] + 1)),
                        _("ประเด็นที่ต้องเป็นตัวเลข ไม่ใช่ “%(w_no_raw)s”", w_no_raw=w_no_raw),
                    )
                )
                continue
            if current_w is None or w_no != current_w["no"]:
                if w_no in w_numbers:
                    problems.append(
                        Problem(
                            here,
                            _(
                                "แถวของประเด็นที่ %(w_no)s ต้องอยู่ติดกัน (เริ่มที่แถว %(w_numbers_w_no)s)",
                                w_no=w_no,
                                w_numbers_w_no=w_numbers[w_no],
                            ),
                        )
                    )
                    continue
                expected = len(weaknesses) + 1
                if w_no != expected:
                    problems.append(
                        Problem(
                            places.describe(
                                ws.title, row_no, by_key["weakness_no"], letter_of(cols["weakness_no"] + 1)
                            ),
                            _("ประเด็นที่ควรเป็น %(expected)s (เรียงลำดับ 1, 2, 3 …)", expected=expected),
                        )
                    )
                w_numbers[w_no] = row_no
                path = ("weaknesses", len(weaknesses))
                current_w = {
                    "no": w_no,
                    "row": row_no,
                    "path": path,
                    "data": {"title": values.get("weakness_title"), "measures": []},
                }
                if values.get("weakness_detail") is not None:
                    current_w["data"]["detail"] = values["weakness_detail"]
                weaknesses.append(current_w["data"])
                places.at(path, ws.title, row_no)
                cell_place(path + ("title",), row_no, "weakness_title")
                cell_place(path + ("measures",), row_no, "measure_no")
                if "weakness_detail" in cols:
                    cell_place(path + ("detail",), row_no, "weakness_detail")
                current_m = None
        assert current_w is not None
        if row_no != current_w["row"]:
            _check_repeat(
                problems,
                places,
                ws.title,
                row_no,
                current_w["row"],
                current_w["data"],
                {"title": "weakness_title", "detail": "weakness_detail"},
                values,
                by_key,
                cols,
                letter_of,
            )

        # -- measure
        m_no_raw = values.get("measure_no")
        w_path = current_w["path"]
        measures = current_w["data"]["measures"]
        if m_no_raw is None:
            if current_m is None:
                problems.append(Problem(here, _("แถวแรกของประเด็นต้องระบุมาตรการที่")))
                continue
        else:
            m_no = _xlsx_number(m_no_raw)
            if m_no is None:
                problems.append(
                    Problem(
                        places.describe(ws.title, row_no, by_key["measure_no"], letter_of(cols["measure_no"] + 1)),
                        _("มาตรการที่ต้องเป็นตัวเลข ไม่ใช่ “%(m_no_raw)s”", m_no_raw=m_no_raw),
                    )
                )
                continue
            if current_m is None or m_no != current_m["no"]:
                if any(m["no"] == m_no for m in current_w.setdefault("seen", [])):
                    problems.append(Problem(here, _("แถวของมาตรการที่ %(m_no)s ต้องอยู่ติดกัน", m_no=m_no)))
                    continue
                expected = len(measures) + 1
                if m_no != expected:
                    problems.append(
                        Problem(
                            places.describe(ws.title, row_no, by_key["measure_no"], letter_of(cols["measure_no"] + 1)),
                            _("มาตรการที่ควรเป็น %(expected)s", expected=expected),
                        )
                    )
                path = w_path + ("measures", len(measures))
                data = {
                    k: values.get(col)
                    for k, col in (("title", "measure_title"), ("owner", "owner"), ("period", "period"))
                }
                if values.get("follow_up") is not None:
                    data["follow_up"] = values["follow_up"]
                data["steps"] = []
                current_m = {"no": m_no, "row": row_no, "path": path, "data": data}
                current_w["seen"].append(current_m)
                measures.append(data)
                places.at(path, ws.title, row_no)
                for key, col in (
                    ("title", "measure_title"),
                    ("owner", "owner"),
                    ("period", "period"),
                    ("follow_up", "follow_up"),
                    ("steps", "step_title"),
                ):
                    if col in cols:
                        cell_place(path + (key,), row_no, col)
        assert current_m is not None
        if row_no != current_m["row"]:
            _check_repeat(
                problems,
                places,
                ws.title,
                row_no,
                current_m["row"],
                current_m["data"],
                {"title": "measure_title", "owner": "owner", "period": "period", "follow_up": "follow_up"},
                values,
                by_key,
                cols,
                letter_of,
            )

        # -- step
        steps = current_m["data"]["steps"]
        path = current_m["path"] + ("steps", len(steps))
        step_no = values.get("step_no")
        if step_no is not None and _xlsx_number(step_no) != len(steps) + 1:
            problems.append(
                Problem(
                    places.describe(ws.title, row_no, by_key["step_no"], letter_of(cols["step_no"] + 1)),
                    _("ขั้นตอนที่ควรเป็น %(len_steps_1)s ตามลำดับแถว หรือเว้นว่าง", len_steps_1=len(steps) + 1),
                )
            )
        step: dict[str, Any] = {"title": values.get("step_title")}
        for key, col in (("owner", "step_owner"), ("start", "start"), ("due", "due"), ("assignee", "assignee")):
            if values.get(col) is not None:
                step[key] = values[col]
        steps.append(step)
        places.at(path, ws.title, row_no)
        for key, col in (
            ("title", "step_title"),
            ("owner", "step_owner"),
            ("start", "start"),
            ("due", "due"),
            ("assignee", "assignee"),
        ):
            if col in cols:
                cell_place(path + (key,), row_no, col)
    if weaknesses:
        raw["weaknesses"] = weaknesses


def _check_repeat(problems, places, sheet, row_no, first_row, data, fields, values, by_key, cols, letter_of) -> None:
    """A repeated weakness/measure field must match its first row (blank is fine)."""
    for key, col in fields.items():
        value = values.get(col)
        if value is None:
            continue
        if data.get(key) is None:
            problems.append(
                Problem(
                    places.describe(sheet, row_no, by_key[col], letter_of(cols[col] + 1)),
                    _("ใส่ค่านี้ในแถวแรก (แถว %(first_row)s) ของกลุ่มนี้", first_row=first_row),
                )
            )
        elif value != data[key]:
            problems.append(
                Problem(
                    places.describe(sheet, row_no, by_key[col], letter_of(cols[col] + 1)),
                    _("ไม่ตรงกับแถว %(first_row)s ให้เว้นว่างหรือใส่ให้ตรงกัน", first_row=first_row),
                )
            )

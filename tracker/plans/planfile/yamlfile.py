"""Reading the YAML form of a plan file (places in words, syntax errors with line and column)."""

import yaml

from ...i18n import _
from .places import words_place
from .shape import PlanSpec, validate_plan
from .spec import (
    CONTROL_CHARS,
    CONTROL_MESSAGE,
    PathT,
    PlanFileError,
    Problem,
)


class _Loader(yaml.SafeLoader):
    """SafeLoader that notes duplicate keys instead of silently keeping the last."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _unused in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    mark = key_node.start_mark
                    self.duplicates.append((key, mark.line + 1, mark.column + 1))
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            # An impossible date such as 2023-13-01: keep the text, so that
            # validation reports it with its place like any other bad date.
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _is_utf16(data: bytes) -> bool:
    """UTF-16 text without its byte-order mark (Notepad's "Unicode"): it reads cleanly as UTF-16."""
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not CONTROL_CHARS.search(text):
            return True
    return False


def parse_plan_yaml(data: bytes | str, filename: str = "plan.yaml") -> PlanSpec:
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanFileError([Problem(filename, _("ไฟล์ไม่ได้เข้ารหัสแบบ UTF-8", exc_start=exc.start))]) from None
    else:
        text = data
    bad = CONTROL_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - text.rfind("\n", 0, bad.start())
        utf16 = isinstance(data, bytes) and _is_utf16(data)
        raise PlanFileError(
            [
                Problem(
                    _("%(filename)s บรรทัด %(line)s คอลัมน์ %(column)s", filename=filename, line=line, column=column),
                    _("ไฟล์เป็น UTF-16 ให้บันทึกใหม่เป็น UTF-8") if utf16 else CONTROL_MESSAGE,
                )
            ]
        )
    loader = None
    try:
        loader = _Loader(text)  # its reader checks the characters already
        raw = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (
            _(
                "%(filename)s บรรทัด %(mark_line_1)s คอลัมน์ %(mark_column_1)s",
                filename=filename,
                mark_line_1=mark.line + 1,
                mark_column_1=mark.column + 1,
            )
            if mark
            else filename
        )
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise PlanFileError(
            [Problem(where, _("รูปแบบ YAML ไม่ถูกต้อง เช่น การย่อหน้าหรือเครื่องหมาย : ผิดที่", what=what))]
        ) from None
    except yaml.YAMLError as exc:
        raise PlanFileError([Problem(filename, _("รูปแบบ YAML ไม่ถูกต้อง", exc=exc))]) from None
    except (ValueError, TypeError, RecursionError) as exc:
        # A value PyYAML cannot build (or absurd nesting): still a message, never a traceback.
        raise PlanFileError([Problem(filename, _("อ่านค่าในไฟล์ไม่ได้", exc=exc))]) from None
    finally:
        if loader is not None:
            loader.dispose()
    problems = [
        Problem(
            _("%(filename)s บรรทัด %(line)s คอลัมน์ %(col)s", filename=filename, line=line, col=col),
            _("หัวข้อ “%(key)s” ซ้ำในชุดเดียวกัน", key=key),
        )
        for key, line, col in loader.duplicates
    ]
    if raw is None:
        raise PlanFileError([Problem(filename, _("ไฟล์ว่างเปล่า ไม่มีข้อมูลแผน"))])

    def locate(path: PathT) -> str:
        return words_place(path) or filename

    return validate_plan(raw, locate, filename, problems)

"""The OpenAPI 3.1 document of /api/v1, written as data.

Served at /api/v1/openapi.json. The tests hold it to the app: every route
of the `api` blueprint is documented and nothing else is, and real responses
(and a schemathesis run) validate against the schemas below.
"""
from __future__ import annotations

from copy import deepcopy
from typing import Any

from ..auth.models import Role
from ..notify.models import OutboxStatus
from ..plans.models import EvidenceKind, PlanStatus, StepStatus

#: Ids are 32-bit in the database; larger numbers are answered 404.
MAX_ID = 2_147_483_647
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
NOTE_MAX = 10_000
CANCEL_REASON_MAX = 2_000
#: `status` filter of GET /steps: a status, or "open" (not_started + in_progress)
STEP_STATUS_FILTERS = (*(s.value for s in StepStatus), "open")

JSON = dict[str, Any]


# -- schema helpers ---------------------------------------------------------------------

def ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: JSON) -> JSON:
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def obj(properties: JSON, description: str = "") -> JSON:
    """A closed object: every property present, nothing else."""
    schema: JSON = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def array(items: JSON) -> JSON:
    return {"type": "array", "items": items}


INT = {"type": "integer"}
ID = {"type": "integer", "minimum": 1}
COUNT = {"type": "integer", "minimum": 0}
TEXT = {"type": "string"}
DATE = {"type": "string", "format": "date"}
TIMESTAMP = {"type": "string", "format": "date-time"}
BOOL = {"type": "boolean"}


def enum(values: list[str] | tuple[str, ...], description: str = "") -> JSON:
    schema: JSON = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return schema


def paged(item: str, description: str) -> JSON:
    return obj({
        "items": array(ref(item)),
        "total": {**COUNT, "description": "จำนวนทั้งหมดที่ตรงเงื่อนไข (all matching records)"},
        "limit": {**ID, "description": "จำนวนต่อหน้าที่ใช้ (page size used)"},
        "offset": {**COUNT, "description": "ข้ามไปกี่รายการ (records skipped)"},
        "next_offset": {**nullable(COUNT), "description": "offset ของหน้าถัดไป หรือ null ถ้าเป็นหน้าสุดท้าย "
                                                          "(offset of the next page; null on the last page)"},
    }, description)


ORGANIZATION = {
    "id": ID,
    "slug": {**TEXT, "description": "รหัสองค์กรในระบบ เช่น banpet (the organization's key)"},
    "name": TEXT,
    "province": TEXT,
}
PROGRESS_NOTE = "ความก้าวหน้า: เสร็จ/ทั้งหมด ไม่นับขั้นตอนที่ยกเลิก (done/total; cancelled steps are not counted)"
PLAN = {
    "id": ID,
    "organization": {**TEXT, "description": "slug ขององค์กร (the organization's slug)"},
    "fiscal_year": {**INT, "description": "ปีงบประมาณ พ.ศ. เช่น 2566 (Buddhist-Era fiscal year)"},
    "title": TEXT,
    "status": enum([s.value for s in PlanStatus]),
    "progress": ref("Progress"),
}
MEASURE = {
    "id": ID,
    "plan_id": ID,
    "weakness_id": ID,
    "number": {**TEXT, "description": "เลขมาตรการตามแผน เช่น \"1\" หรือ \"3.2\" (number in the plan)"},
    "order": ID,
    "title": TEXT,
    "owner_department": ref("DepartmentRef"),
    "period_start": DATE,
    "period_end": DATE,
    "follow_up": {**TEXT, "description": "การติดตามผล (how the result is judged)"},
    "progress": ref("Progress"),
}
STEP = {
    "id": ID,
    "number": {**TEXT, "description": "เลขขั้นตอน เช่น \"3.2.1\" (number in the plan)"},
    "order": ID,
    "title": TEXT,
    "status": enum([s.value for s in StepStatus]),
    "status_label": {**TEXT, "description": "ชื่อสถานะภาษาไทย (Thai label of the status)"},
    "organization": {**TEXT, "description": "slug ขององค์กร (the organization's slug)"},
    "plan_id": ID,
    "fiscal_year": INT,
    "measure_id": ID,
    "owner_department": ref("DepartmentRef"),
    "assignee": nullable(ref("Person")),
    "start_date": DATE,
    "due_date": DATE,
    "overdue": {**BOOL, "description": "ยังไม่เสร็จและเลยวันครบกำหนด ณ วันนี้ (เวลาไทย) "
                                       "(open and past due, Bangkok today)"},
    "completed_at": {**nullable(TIMESTAMP), "description": "เวลาที่ดำเนินการแล้วเสร็จ UTC (when done, UTC)"},
    "completed_by": nullable(ref("Person")),
    "cancel_reason": nullable(TEXT),
    "updated_at": TIMESTAMP,
}

SCHEMAS: JSON = {
    "Error": obj({
        "error": {**TEXT, "description": "ข้อความภาษาไทย ตามด้วยภาษาอังกฤษในวงเล็บ "
                                         "(Thai message, English in parentheses)"},
        "status": {**INT, "description": "HTTP status"},
    }, "ทุกข้อผิดพลาด (every error)"),
    "Person": obj({"id": ID, "display_name": TEXT}),
    "DepartmentRef": obj({"id": ID, "name": TEXT}),
    "Department": obj({"id": ID, "name": TEXT, "email": nullable(TEXT)}),
    "Organization": obj(ORGANIZATION),
    "OrganizationDetail": obj({**ORGANIZATION, "departments": array(ref("Department"))}),
    "OrganizationList": obj({"items": array(ref("Organization"))}),
    "Me": obj({
        "id": ID,
        "email": TEXT,
        "display_name": TEXT,
        "role": enum([r.value for r in Role]),
        "organization": ref("Organization"),
        "department": nullable(ref("DepartmentRef")),
    }, "ผู้ใช้เจ้าของโทเคน (the token's user)"),
    "Progress": obj({
        "done": COUNT, "total": COUNT, "cancelled": COUNT,
        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
    }, PROGRESS_NOTE),
    "Plan": obj(PLAN),
    "PlanList": obj({"items": array(ref("Plan"))}),
    "Measure": obj(MEASURE),
    "Weakness": obj({"id": ID, "order": ID, "title": TEXT, "detail": TEXT, "measures": array(ref("Measure"))},
                    "ประเด็นที่เป็นจุดอ่อน (a weakness found in the ITA result)"),
    "PlanDetail": obj({**PLAN, "weaknesses": array(ref("Weakness"))}),
    "Step": obj(STEP, "ขั้นตอนการดำเนินการ (a step people tick off)"),
    "StepPage": paged("Step", "หนึ่งหน้าของรายการขั้นตอน (one page of steps)"),
    "MeasureDetail": obj({
        **MEASURE,
        "weakness": obj({"id": ID, "order": ID, "title": TEXT}),
        "steps": array(ref("Step")),
    }),
    "Evidence": obj({
        "id": ID,
        "kind": enum([k.value for k in EvidenceKind]),
        "name": {**TEXT, "description": "ชื่อไฟล์หรือชื่อลิงก์ (file name or link title)"},
        "url": {**nullable(TEXT), "description": "ลิงก์ (for links); null for files"},
        "content_type": nullable(TEXT),
        "size": COUNT,
        "sha256": nullable(TEXT),
        "public": {**BOOL, "description": "แสดงในหน้าเผยแพร่สาธารณะ (shown on the public page)"},
        "uploaded_by": nullable(ref("Person")),
        "created_at": TIMESTAMP,
    }),
    "StepDetail": obj({
        **STEP,
        "measure": obj({"id": ID, "number": TEXT, "title": TEXT}),
        "evidence": array(ref("Evidence")),
    }),
    "JournalEntry": obj({
        "id": ID,
        "step_id": nullable(ID),
        "action": {**TEXT, "description": "status, comment, evidence_add, evidence_remove, edit, create, import, …"},
        "field": nullable(TEXT),
        "old_value": {**nullable(TEXT), "description": "ค่าเดิม (statuses by value, dates ISO)"},
        "new_value": nullable(TEXT),
        "note": nullable(TEXT),
        "actor": nullable(ref("Person")),
        "created_at": TIMESTAMP,
    }, "หนึ่งรายการในประวัติ (one journal entry)"),
    "Journal": obj({"items": array(ref("JournalEntry"))}),
    "OutboxMessage": obj({
        "id": ID,
        "kind": {**TEXT, "description": "reminder, escalation, digest_weekly, digest_monthly"},
        "for_date": DATE,
        "recipient": TEXT,
        "recipient_name": TEXT,
        "subject": TEXT,
        "status": enum([s.value for s in OutboxStatus]),
        "attempts": COUNT,
        "last_error": nullable(TEXT),
        "next_attempt_at": TIMESTAMP,
        "sent_at": nullable(TIMESTAMP),
        "created_at": TIMESTAMP,
    }),
    "OutboxPage": paged("OutboxMessage", "หนึ่งหน้าของกล่องจดหมายออก (one page of the outbox)"),
    "StatusChange": {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {
            "status": enum([s.value for s in StepStatus], "สถานะใหม่ (the new status)"),
            "note": {**nullable({**TEXT, "maxLength": NOTE_MAX}),
                     "description": "บันทึกความคืบหน้า เก็บในประวัติ (a note, kept in the journal)"},
            "completed_on": {**nullable(DATE),
                             "description": "เฉพาะ status done: วันที่ทำเสร็จจริงถ้าไม่ใช่วันนี้ (ค.ศ.) "
                                            "ไม่เป็นวันในอนาคต "
                                            "(only with done: the day the work was finished, if not today; "
                                            "not in the future, not before the plan's fiscal year)"},
            "cancel_reason": {**nullable({**TEXT, "maxLength": CANCEL_REASON_MAX}),
                              "description": "เหตุผลที่ยกเลิก จำเป็นเมื่อ status เป็น cancelled (ใช้ note แทนได้) "
                                             "(required to cancel; the note is used when absent)"},
        },
    },
    "Comment": {
        "type": "object",
        "required": ["note"],
        "additionalProperties": False,
        "properties": {"note": {**TEXT, "maxLength": NOTE_MAX, "description": "บันทึกความคืบหน้า (the note)"}},
    },
}


# -- responses and parameters ------------------------------------------------------------------

def error(description: str) -> JSON:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


RESPONSES: JSON = {
    "BadRequest": error("ข้อมูลหรือพารามิเตอร์ไม่ถูกต้อง (malformed input: wrong type, unknown field or parameter)"),
    "Unauthorized": {
        **error("ไม่มีโทเคน โทเคนไม่ถูกต้อง ถูกยกเลิก หรือผู้ใช้ถูกปิดใช้งาน "
                "(no token, an invalid or revoked token, or a deactivated user). Cookies are not accepted."),
        "headers": {"WWW-Authenticate": {"schema": TEXT, "description": 'Bearer realm="tracker"'}},
    },
    "Forbidden": error("ผู้ใช้ของโทเคนไม่มีสิทธิ์ (the token's user may not do this), "
                       "e.g. a step of another department"),
    "NotFound": error("ไม่พบ หรือเป็นข้อมูลขององค์กรอื่น (not found, or another organization's record)"),
    "Unprocessable": error("คำขอถูกรูปแบบแต่ทำไม่ได้ตามสถานะของขั้นตอน "
                           "(well-formed but refused by the step's state: e.g. already done, "
                           "done → cancelled, a completion date in the future, an empty note)"),
}


def id_param(name: str, what: str) -> JSON:
    return {"name": name, "in": "path", "required": True, "description": what,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def query_param(name: str, schema: JSON, description: str) -> JSON:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


PARAMETERS: JSON = {
    "Slug": {"name": "slug", "in": "path", "required": True, "schema": TEXT,
             "description": "slug ขององค์กร เช่น banpet (the organization's slug, see GET /organizations)"},
    "PlanId": id_param("plan_id", "id ของแผน (plan id)"),
    "MeasureId": id_param("measure_id", "id ของมาตรการ (measure id)"),
    "StepId": id_param("step_id", "id ของขั้นตอน (step id)"),
    "Limit": query_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                         f"จำนวนต่อหน้า (page size, 1–{MAX_LIMIT})"),
    "Offset": query_param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0},
                          "ข้ามกี่รายการ ใช้ next_offset ของหน้าก่อน "
                          "(records to skip: the previous page's next_offset)"),
}


def param(name: str) -> JSON:
    return {"$ref": f"#/components/parameters/{name}"}


def answer(status: str, schema: str, description: str) -> JSON:
    return {status: {"description": description, "content": {"application/json": {"schema": ref(schema)}}}}


def errors(*codes: int) -> JSON:
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 422: "Unprocessable"}
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in (401, *codes)}


def get(operation_id: str, summary: str, description: str, ok: str, params: list[JSON] | None = None,
        *, codes: tuple[int, ...] = (400, 404)) -> JSON:
    return {"get": {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "parameters": params or [],
        "responses": {**answer("200", ok, "OK"), **errors(*codes)},
    }}


# -- the document --------------------------------------------------------------------------------

DESCRIPTION = """\
API สำหรับสคริปต์ของระบบติดตามมาตรการ ITA: อ่านองค์กร แผน มาตรการ ขั้นตอน ประวัติ และกล่องจดหมายออก
และบันทึกสถานะของขั้นตอนพร้อมหมายเหตุ ด้วยสิทธิ์เดียวกับหน้าเว็บ
(A JSON API for scripts: read organizations, plans, measures, steps, their journal and the outbox;
change a step's status with a note — with exactly the permissions of the web interface.)

**Token.** สร้างโทเคนส่วนตัวที่หน้า "ข้อมูลของฉัน → โทเคน API" (`/profile/api-tokens`); ระบบแสดงโทเคนครั้งเดียว
(Create a personal token on your profile page, `/profile/api-tokens`; it is shown once.)
Send it on every request: `Authorization: Bearer trk_…`. The token acts as its user: an owner changes
only its department's steps; managers and viewers read; admins do everything in their organization and
read the outbox. Another organization's records answer 404. Revoked tokens and deactivated users get 401.
Session cookies are not accepted here.

**Formats.** JSON field names in English; dates `YYYY-MM-DD` (Gregorian, ISO 8601); timestamps ISO 8601
in UTC with their offset (`2023-08-01T03:00:00+00:00`); statuses by value (`not_started`, `in_progress`,
`done`, `cancelled`). Lists that can be long are paged with `limit`/`offset` and give `total` and
`next_offset`. Unknown query parameters and unknown body fields are refused (400), so typos do not pass
silently.

**Errors** are always JSON: `{"error": "ข้อความ (message)", "status": 404}` — 400 malformed input,
401 authentication, 403 permission, 404 not found (or not yours), 422 refused by the step's state.

Example (Python, standard library only):

```python
import json, urllib.request
BASE, TOKEN = "https://tracker.example.go.th/api/v1", "trk_…"
def call(path, body=None):
    req = urllib.request.Request(BASE + path, method="POST" if body else "GET",
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)
mine = call("/steps?mine=true&status=open")
call(f"/steps/{mine['items'][0]['id']}/status", {"status": "done", "note": "ประกาศแล้ว"})
```
"""

STATUS_EXAMPLES = {
    "done": {"summary": "ทำเสร็จวันนี้ (done today)",
             "value": {"status": "done", "note": "ลงนามประกาศแล้ว เผยแพร่ทางเว็บไซต์"}},
    "done_earlier": {"summary": "ทำเสร็จเมื่อวันที่ผ่านมา (done on an earlier day)",
                     "value": {"status": "done", "note": "ประชุมชี้แจงแล้ว", "completed_on": "2023-07-28"}},
    "started": {"summary": "เริ่มดำเนินการ (started)",
                "value": {"status": "in_progress", "note": "อยู่ระหว่างร่างคู่มือ"}},
    "cancel": {"summary": "ยกเลิก (cancelled, with a reason)",
               "value": {"status": "cancelled", "cancel_reason": "รวมกับขั้นตอนที่ 2 แล้ว"}},
}

PATHS: JSON = {
    "/openapi.json": {"get": {
        "operationId": "openapi",
        "summary": "เอกสารนี้ (this document)",
        "description": "The OpenAPI 3.1 description of this API. No token needed.",
        "security": [],
        "responses": {"200": {"description": "OpenAPI document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
    "/me": get("getMe", "ผู้ใช้ของโทเคน (the token's user)",
               "Who the token acts as: role, organization, department. Useful to check a token.",
               "Me", codes=(400,)),
    "/organizations": get("listOrganizations", "องค์กรที่อ่านได้ (organizations you may read)",
                          "Your own organization; provincial and national users: every organization they oversee "
                          "(read only).", "OrganizationList", codes=(400,)),
    "/organizations/{slug}": get("getOrganization", "องค์กรและหน่วยงาน (an organization and its departments)",
                                 "Department ids are the values of the `department` filter of GET /steps.",
                                 "OrganizationDetail", [param("Slug")]),
    "/organizations/{slug}/plans": get("listPlans", "แผนขององค์กร (an organization's plans)",
                                       "Every fiscal year's plan, newest first, with its progress.",
                                       "PlanList", [param("Slug")]),
    "/plans/{plan_id}": get("getPlan", "แผน จุดอ่อน และมาตรการ (a plan with its weaknesses and measures)",
                            "The plan in its order: weaknesses, each with its measures and their progress.",
                            "PlanDetail", [param("PlanId")]),
    "/measures/{measure_id}": get("getMeasure", "มาตรการและขั้นตอน (a measure with its steps)",
                                  "A measure, its weakness and its steps in order.",
                                  "MeasureDetail", [param("MeasureId")]),
    "/steps": get(
        "listSteps", "ค้นหาขั้นตอน (search steps)",
        "Steps of the organizations you may read, in plan order (organization, fiscal year, weakness, "
        "measure, step), filtered and paged. Filters combine with AND. A filter naming an organization, "
        "plan, measure or department you cannot read gives 404 (organization, department) or no rows "
        "(plan, measure).",
        "StepPage",
        [
            query_param("organization", TEXT, "slug ขององค์กร (only this organization)"),
            query_param("plan", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "id ของแผน (only this plan)"),
            query_param("measure", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "id ของมาตรการ (only this measure)"),
            query_param("department", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "id ของหน่วยงานผู้รับผิดชอบ (only steps owned by this department)"),
            query_param("status", enum(STEP_STATUS_FILTERS),
                        "สถานะ หรือ open = ยังไม่เสร็จ (a status, or open = not_started + in_progress)"),
            query_param("due_after", DATE, "ครบกำหนดตั้งแต่วันนี้เป็นต้นไป รวมวันนั้น (due on or after, inclusive)"),
            query_param("due_before", DATE, "ครบกำหนดไม่เกินวันนี้ รวมวันนั้น (due on or before, inclusive)"),
            query_param("overdue", BOOL, "true: เฉพาะที่เลยกำหนด; false: ที่ไม่เลยกำหนด "
                                         "(true: open and past due today; false: the others)"),
            query_param("mine", BOOL, "true: เฉพาะของหน่วยงานของฉันหรือที่มอบหมายให้ฉัน "
                                      "(true: my department's steps and steps assigned to me)"),
            param("Limit"), param("Offset"),
        ],
    ),
    "/steps/{step_id}": get("getStep", "ขั้นตอน (a step)", "A step with its measure and its evidence.",
                            "StepDetail", [param("StepId")]),
    "/steps/{step_id}/journal": get("getStepJournal", "ประวัติของขั้นตอน (a step's journal)",
                                    "Every change and note of the step, newest first.",
                                    "Journal", [param("StepId")]),
    "/steps/{step_id}/status": {"post": {
        "operationId": "changeStepStatus",
        "summary": "เปลี่ยนสถานะขั้นตอน (change a step's status)",
        "description": (
            "Same rules as the web page: admins, and owners of the step's department (or its assignee). "
            "Allowed moves: not_started → in_progress | done | cancelled; in_progress → not_started | done | "
            "cancelled; done → in_progress | not_started; cancelled → not_started | in_progress. "
            "Cancelling needs a reason. Journaled with the note.\n\n"
            "```sh\ncurl -X POST -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n"
            "  -d '{\"status\": \"done\", \"note\": \"ลงนามประกาศแล้ว\", \"completed_on\": \"2023-08-01\"}' \\\n"
            "  https://tracker.example.go.th/api/v1/steps/12/status\n```"
        ),
        "parameters": [param("StepId")],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ref("StatusChange"), "examples": STATUS_EXAMPLES}}},
        "responses": {**answer("200", "Step", "The step after the change"), **errors(400, 403, 404, 422)},
    }},
    "/steps/{step_id}/comments": {"post": {
        "operationId": "addStepComment",
        "summary": "บันทึกความคืบหน้า (add a note to a step)",
        "description": (
            "A progress note without a status change; same permissions as a status change.\n\n"
            "```sh\ncurl -X POST -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n"
            "  -d '{\"note\": \"ส่งร่างให้ปลัดตรวจแล้ว\"}' https://tracker.example.go.th/api/v1/steps/12/comments\n```"
        ),
        "parameters": [param("StepId")],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ref("Comment"),
            "examples": {"note": {"summary": "บันทึก (a note)", "value": {"note": "ส่งร่างให้ปลัดตรวจแล้ว"}}}}}},
        "responses": {**answer("201", "JournalEntry", "The journal entry made"), **errors(400, 403, 404, 422)},
    }},
    "/outbox": get(
        "listOutbox", "กล่องจดหมายออก (the outbox)",
        "Admins only: emails of your organization (reminders, escalations, digests), newest first.",
        "OutboxPage",
        [query_param("status", enum([s.value for s in OutboxStatus]), "สถานะ (only this status)"),
         param("Limit"), param("Offset")],
        codes=(400, 403),
    ),
}

DOCUMENT: JSON = {
    "openapi": "3.1.0",
    "info": {
        "title": "ITA follow-up tracker API",
        "version": "1.0.0",
        "description": DESCRIPTION,
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer", "bearerFormat": "trk_ + 40 characters",
            "description": "โทเคนส่วนตัวจากหน้า /profile/api-tokens (a personal token from /profile/api-tokens)",
        }},
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": PARAMETERS,
    },
}


def document() -> JSON:
    """A copy, so a caller cannot change the served document."""
    return deepcopy(DOCUMENT)

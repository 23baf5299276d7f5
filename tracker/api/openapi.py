"""The OpenAPI 3.1 document of /api/v1.

Served at /api/v1/openapi.json. The bodies' schemas are generated from the
pydantic models (`schemas.py` for answers, `inputs.py` for what clients send),
which the views use too; this module adds the operations, their parameters and
their prose. The tests hold it to the app: every route of the `api` blueprint
is documented and nothing else is, and real responses (and a schemathesis
run) validate against it.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from . import inputs, schemas
from .schemas import MAX_ID

__all__ = ["MAX_ID", "document"]

JSON = dict[str, Any]
REF_TEMPLATE = "#/components/schemas/{model}"


class _Schema(GenerateJsonSchema):
    """Component schemas without a "title" on every property (the names say it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _components() -> JSON:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((m, "serialization") for m in schemas.RESPONSE_MODELS),
        *((m, "validation") for m in inputs.REQUEST_MODELS),
    ]
    _, top = models_json_schema(models, ref_template=REF_TEMPLATE, schema_generator=_Schema)
    return top["$defs"]


def _without_null(schema: JSON) -> JSON:
    """A query parameter is absent rather than null."""
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        schema = {**options[0], **rest}
    if schema.get("default", 0) is None:
        schema = {k: v for k, v in schema.items() if k != "default"}
    return schema


def query_params(model: type[BaseModel]) -> list[JSON]:
    """The query parameters of a list, from its pydantic model."""
    properties = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=_Schema)["properties"]
    params = []
    for name in inputs.parameter_names(model):
        schema = _without_null(dict(properties[name]))
        description = schema.pop("description", "")
        params.append({"name": name, "in": "query", "required": False, "description": description, "schema": schema})
    return params


def ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


TEXT = {"type": "string"}
SCHEMAS: JSON = _components()


# -- responses and parameters ------------------------------------------------------------------


def error(description: str) -> JSON:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


RESPONSES: JSON = {
    "BadRequest": error("ข้อมูลหรือพารามิเตอร์ไม่ถูกต้อง (malformed input: wrong type, unknown field or parameter)"),
    "Unauthorized": {
        **error(
            "ไม่มีโทเคน โทเคนไม่ถูกต้อง ถูกยกเลิก หรือผู้ใช้ถูกปิดใช้งาน "
            "(no token, an invalid or revoked token, or a deactivated user). Cookies are not accepted."
        ),
        "headers": {"WWW-Authenticate": {"schema": TEXT, "description": 'Bearer realm="tracker"'}},
    },
    "Forbidden": error("ผู้ใช้ของโทเคนไม่มีสิทธิ์ (the token's user may not do this), e.g. a step of another department"),
    "NotFound": error("ไม่พบ หรือเป็นข้อมูลขององค์กรอื่น (not found, or another organization's record)"),
    "Unprocessable": error(
        "คำขอถูกรูปแบบแต่ทำไม่ได้ตามสถานะของขั้นตอน "
        "(well-formed but refused by the step's state: e.g. already done, "
        "done → cancelled, a completion date in the future, an empty note)"
    ),
    "Conflict": {
        "description": (
            "ขั้นตอนถูกแก้ไขหลังรุ่นที่ส่งมาใน version: ไม่ได้บันทึก คำตอบบอกว่าใครเปลี่ยนอะไรเมื่อไร "
            "(the step changed after the `version` you sent: nothing was saved; the answer lists who changed "
            "what and when, and the ETag header carries the current version). Also when two saves race."
        ),
        "headers": {"ETag": {"schema": TEXT, "description": 'The current version, e.g. "4"'}},
        "content": {"application/json": {"schema": ref("Conflict")}},
    },
    "PreconditionFailed": error(
        "If-Match ไม่ตรงกับรุ่นปัจจุบัน ไม่ได้บันทึก (If-Match names no current version of the step: nothing was "
        "saved; GET the step again for its ETag)"
    ),
}

ETAG_HEADER: JSON = {
    "ETag": {
        "schema": TEXT,
        "description": 'รุ่นของข้อมูล (the record\'s edit version, e.g. "3"), for If-Match',
    }
}


def id_param(name: str, what: str) -> JSON:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": what,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


PARAMETERS: JSON = {
    "Slug": {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": TEXT,
        "description": "slug ขององค์กร เช่น banpet (the organization's slug, see GET /organizations)",
    },
    "PlanId": id_param("plan_id", "id ของแผน (plan id)"),
    "MeasureId": id_param("measure_id", "id ของมาตรการ (measure id)"),
    "StepId": id_param("step_id", "id ของขั้นตอน (step id)"),
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": (
            'ETag ของขั้นตอนจาก GET /steps/{step_id} (the step\'s ETag from GET /steps/{step_id}, e.g. "3"): '
            "if the step has changed since, the answer is 412 and nothing is saved"
        ),
        "schema": TEXT,
    },
}


def param(name: str) -> JSON:
    return {"$ref": f"#/components/parameters/{name}"}


def answer(status: str, schema: str, description: str) -> JSON:
    return {status: {"description": description, "content": {"application/json": {"schema": ref(schema)}}}}


def errors(*codes: int) -> JSON:
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        412: "PreconditionFailed",
        422: "Unprocessable",
    }
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in (401, *codes)}


def get(
    operation_id: str,
    summary: str,
    description: str,
    ok: str,
    params: list[JSON] | None = None,
    *,
    codes: tuple[int, ...] = (400, 404),
) -> JSON:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "parameters": params or [],
            "responses": {**answer("200", ok, "OK"), **errors(*codes)},
        }
    }


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
`done`, `cancelled`). Lists that can be long are paged with `limit`/`offset` and give `total`,
`total_exact` and `next_offset`. A list counts its matches only up to `offset + limit + 1000`: past that
`total` stops there and `total_exact` is `false` (a nationwide filter is never counted in full on every
page); follow `next_offset` until it is `null`. Better for walking a long list: pass each page's `next_after`
as `after` (keyset paging): the next page is read from the last record's position, not by skipping, so
every page costs the same and records added meanwhile shift nothing; with `after`, `total` and the
offsets count from that record on. Unknown query parameters and unknown body fields are refused (400), so typos do not pass
silently.

**Errors** are always JSON: `{"error": "ข้อความ (message)", "status": 404}` — 400 malformed input,
401 authentication, 403 permission, 404 not found (or not yours), 422 refused by the step's state,
409 the step changed after the `version` sent (with what changed), 412 `If-Match` names an old version.

**Versions**: GET of a step, measure or plan answers with an `ETag` (its edit version); a change
sent with `If-Match: "<etag>"` or `"version": <n>` is refused when someone changed the step since.

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
    "done": {
        "summary": "ทำเสร็จวันนี้ (done today)",
        "value": {"status": "done", "note": "ลงนามประกาศแล้ว เผยแพร่ทางเว็บไซต์"},
    },
    "done_earlier": {
        "summary": "ทำเสร็จเมื่อวันที่ผ่านมา (done on an earlier day)",
        "value": {"status": "done", "note": "ประชุมชี้แจงแล้ว", "completed_on": "2023-07-28"},
    },
    "started": {"summary": "เริ่มดำเนินการ (started)", "value": {"status": "in_progress", "note": "อยู่ระหว่างร่างคู่มือ"}},
    "cancel": {
        "summary": "ยกเลิก (cancelled, with a reason)",
        "value": {"status": "cancelled", "cancel_reason": "รวมกับขั้นตอนที่ 2 แล้ว"},
    },
}

PATHS: JSON = {
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "เอกสารนี้ (this document)",
            "description": "The OpenAPI 3.1 description of this API. No token needed.",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/me": get(
        "getMe",
        "ผู้ใช้ของโทเคน (the token's user)",
        "Who the token acts as: role, organization, department. Useful to check a token.",
        "Me",
        codes=(400,),
    ),
    "/organizations": get(
        "listOrganizations",
        "องค์กรที่อ่านได้ (organizations you may read)",
        "Your own organization; provincial and national users: every organization they oversee (read only).",
        "OrganizationList",
        codes=(400,),
    ),
    "/organizations/{slug}": get(
        "getOrganization",
        "องค์กรและหน่วยงาน (an organization and its departments)",
        "Department ids are the values of the `department` filter of GET /steps.",
        "OrganizationDetail",
        [param("Slug")],
    ),
    "/organizations/{slug}/plans": get(
        "listPlans",
        "แผนขององค์กร (an organization's plans)",
        "Every fiscal year's plan, newest first, with its progress.",
        "PlanList",
        [param("Slug")],
    ),
    "/plans/{plan_id}": get(
        "getPlan",
        "แผน จุดอ่อน และมาตรการ (a plan with its weaknesses and measures)",
        "The plan in its order: weaknesses, each with its measures and their progress.",
        "PlanDetail",
        [param("PlanId")],
    ),
    "/measures/{measure_id}": get(
        "getMeasure",
        "มาตรการและขั้นตอน (a measure with its steps)",
        "A measure, its weakness and its steps in order.",
        "MeasureDetail",
        [param("MeasureId")],
    ),
    "/steps": get(
        "listSteps",
        "ค้นหาขั้นตอน (search steps)",
        "Steps of the organizations you may read, in plan order (organization, fiscal year, weakness, "
        "measure, step), filtered and paged. Filters combine with AND. A filter naming an organization, "
        "plan, measure or department you cannot read gives 404 (organization, department) or no rows "
        "(plan, measure).",
        "StepPage",
        query_params(inputs.StepQuery),
    ),
    "/steps/{step_id}": get(
        "getStep", "ขั้นตอน (a step)", "A step with its measure and its evidence.", "StepDetail", [param("StepId")]
    ),
    "/steps/{step_id}/journal": get(
        "getStepJournal",
        "ประวัติของขั้นตอน (a step's journal)",
        "Every change and note of the step, newest first.",
        "Journal",
        [param("StepId")],
    ),
    "/steps/{step_id}/status": {
        "post": {
            "operationId": "changeStepStatus",
            "summary": "เปลี่ยนสถานะขั้นตอน (change a step's status)",
            "description": (
                "Same rules as the web page: admins, and owners of the step's department (or its assignee). "
                "Allowed moves: not_started → in_progress | done | cancelled; in_progress → not_started | done | "
                "cancelled; done → in_progress | not_started; cancelled → not_started | in_progress. "
                "Cancelling needs a reason. Journaled with the note.\n\n"
                "```sh\ncurl -X POST -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n"
                '  -d \'{"status": "done", "note": "ลงนามประกาศแล้ว", "completed_on": "2023-08-01"}\' \\\n'
                "  https://tracker.example.go.th/api/v1/steps/12/status\n```"
            ),
            "parameters": [param("StepId"), param("IfMatch")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("StatusChange"), "examples": STATUS_EXAMPLES}},
            },
            "responses": {
                "200": {
                    "description": "The step after the change",
                    "headers": ETAG_HEADER,
                    "content": {"application/json": {"schema": ref("Step")}},
                },
                **errors(400, 403, 404, 409, 412, 422),
            },
        }
    },
    "/steps/{step_id}/comments": {
        "post": {
            "operationId": "addStepComment",
            "summary": "บันทึกความคืบหน้า (add a note to a step)",
            "description": (
                "A progress note without a status change; same permissions as a status change.\n\n"
                "```sh\ncurl -X POST -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n"
                '  -d \'{"note": "ส่งร่างให้ปลัดตรวจแล้ว"}\' https://tracker.example.go.th/api/v1/steps/12/comments\n```'
            ),
            "parameters": [param("StepId"), param("IfMatch")],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": ref("Comment"),
                        "examples": {"note": {"summary": "บันทึก (a note)", "value": {"note": "ส่งร่างให้ปลัดตรวจแล้ว"}}},
                    }
                },
            },
            "responses": {
                **answer("201", "JournalEntry", "The journal entry made"),
                **errors(400, 403, 404, 412, 422),
            },
        }
    },
    "/outbox": get(
        "listOutbox",
        "กล่องจดหมายออก (the outbox)",
        "Admins only: emails of your organization (reminders, escalations, digests), newest first.",
        "OutboxPage",
        query_params(inputs.OutboxQuery),
        codes=(400, 403),
    ),
}

for _path in ("/plans/{plan_id}", "/measures/{measure_id}", "/steps/{step_id}"):
    PATHS[_path]["get"]["responses"]["200"]["headers"] = ETAG_HEADER

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
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "trk_ + 40 characters",
                "description": "โทเคนส่วนตัวจากหน้า /profile/api-tokens (a personal token from /profile/api-tokens)",
            }
        },
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": PARAMETERS,
    },
}


def document() -> JSON:
    """A copy, so a caller cannot change the served document."""
    return deepcopy(DOCUMENT)

"""The OpenAPI 3.1 description of /api/v1 (tests check it lists every route)."""

from app.models.reports import ReportStatus
from app.models.tasks import TaskStatus
from app.services.indicators import BY_KEY as INDICATOR_KEYS
from app.services.movements import KINDS as MOVEMENT_KINDS
from app.services.reports import Timeliness
from app.services.targets import Status as TargetStatus

TASK_STATUSES = tuple(s.value for s in TaskStatus)
REPORT_STATUSES = tuple(s.value for s in ReportStatus)
TIMELINESS = tuple(t.value for t in Timeliness)
TARGET_STATUSES = tuple(s.value for s in TargetStatus)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: dict, description: str = "OK") -> dict:
    return {
        "200": {"description": description, "content": {"application/json": {"schema": schema}}},
        "401": {"description": "Not logged in"},
    }


def _param(name: str, description: str, schema: dict | None = None, where: str = "query") -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _required(parameter: dict) -> dict:
    return parameter | {"required": True}


UTC_TIME = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "UTC, e.g. 2020-03-18T16:05:00Z",
}
TIMELINESS_SCHEMA = {
    "type": "string",
    "enum": list(TIMELINESS),
    "description": "approved, returned; else on_time or late once submitted (first submission by the "
    "end of the deadline day, Vietnam time); else missing once the deadline has passed, or pending",
}

UNIT_REF = {
    "type": ["object", "null"],
    "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
}

SCHEMAS = {
    "Unit": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {
                "type": "string",
                "enum": ["province", "district", "town", "commune", "ward", "village"],
            },
            "parent": UNIT_REF,
            "valid_from": {"type": ["string", "null"], "format": "date"},
            "valid_to": {"type": ["string", "null"], "format": "date"},
            "successor": UNIT_REF,
        },
    },
    "Household": {
        "type": "object",
        "required": ["id", "code", "head_name", "unit", "status"],
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "head_name": {"type": "string"},
            "ethnicity": {"type": "string"},
            "unit": UNIT_REF,
            "commune": UNIT_REF,
            "address": {"type": "string"},
            "area": {"type": "string", "enum": ["urban", "rural"]},
            "status": {"type": "string", "enum": ["poor", "near_poor", "escaped", "other"]},
            "status_criterion": {"type": ["string", "null"], "enum": ["income", "deprivation", None]},
            "status_year": {"type": ["integer", "null"]},
        },
    },
    "Member": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "full_name": {"type": "string"},
            "relation": {"type": "string"},
            "sex": {"type": "string"},
            "birth_year": {"type": "integer"},
            "ethnicity": {"type": "string"},
            "citizen_id": {"type": ["string", "null"], "description": "masked: first and last three digits"},
            "has_health_insurance": {"type": "boolean"},
            "schooling": {"type": ["string", "null"]},
            "has_disability": {"type": "boolean"},
        },
    },
    "Stats": {
        "type": "object",
        "properties": {
            "unit_code": {"type": "string"},
            "unit_name": {"type": "string"},
            "year": {"type": ["integer", "null"]},
            "households": {"type": "integer"},
            "poor": {"type": "integer"},
            "near_poor": {"type": "integer"},
            "poor_rate": {"type": "number", "description": "percent, 2 decimals"},
            "near_poor_rate": {"type": "number", "description": "percent, 2 decimals"},
            "poor_by_income": {"type": "integer"},
            "poor_by_income_urban": {"type": "integer"},
            "poor_by_income_rural": {"type": "integer"},
            "poor_by_deprivation": {"type": "integer"},
        },
    },
    "Movements": {
        "type": "object",
        "required": ["unit", "from", "to", "counts", "total"],
        "properties": {
            "unit": UNIT_REF,
            "from": {"type": "integer"},
            "to": {"type": "integer"},
            "counts": {
                "type": "object",
                "required": list(MOVEMENT_KINDS),
                "properties": {kind: {"type": "integer"} for kind in MOVEMENT_KINDS},
            },
            "total": {"type": "integer", "description": "households poor or near-poor in either year"},
        },
    },
    "Targets": {
        "type": "object",
        "required": ["unit", "year", "as_of", "indicators"],
        "properties": {
            "unit": UNIT_REF,
            "year": {"type": "integer"},
            "as_of": {"type": "string", "format": "date", "description": "the day the actual values are of"},
            "indicators": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["indicator", "measure", "target", "actual", "projected", "status"],
                    "properties": {
                        "indicator": {"type": "string", "enum": list(INDICATOR_KEYS)},
                        "name": {"type": "string", "description": "Vietnamese"},
                        "definition": {"type": "string", "description": "how the actual value is computed"},
                        "measure": {
                            "type": "string",
                            "enum": ["points", "percent", "count"],
                            "description": "unit of measure: percentage points, percent, or a count",
                        },
                        "target": {"type": ["number", "null"]},
                        "actual": {"type": ["number", "null"], "description": "null: nothing to measure yet"},
                        "projected": {
                            "type": ["number", "null"],
                            "description": "expected at the year's end: linear through the year for what "
                            "builds up over it (jobs, exemptions), the actual value for a level",
                        },
                        "status": {"type": "string", "enum": list(TARGET_STATUSES)},
                    },
                },
            },
        },
    },
    "Task": {
        "type": "object",
        "required": [
            "id",
            "household_id",
            "type",
            "status",
            "due_date",
            "officer",
            "organisation",
            "version",
        ],
        "properties": {
            "id": {"type": "integer"},
            "household_id": {"type": "integer"},
            "type": {"type": "string", "description": "task type code, e.g. HEALTH_CARD"},
            "status": {"type": "string", "enum": list(TASK_STATUSES)},
            "due_date": {"type": "string", "format": "date"},
            "officer": {
                "type": ["object", "null"],
                "properties": {
                    "id": {"type": "integer"},
                    "username": {"type": "string"},
                    "full_name": {"type": "string"},
                },
            },
            "organisation": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
            "version": {"type": "integer", "description": "raised by every change of the task"},
        },
    },
    "CoverageCounts": {
        "type": "object",
        "required": ["assigned", "unassigned", "orphaned"],
        "properties": {
            "assigned": {
                "type": "integer",
                "description": "an active assignment whose officer is active and whose scope contains "
                "the household, or an active assignment to an organisation without an officer",
            },
            "unassigned": {"type": "integer", "description": "no active assignment"},
            "orphaned": {
                "type": "integer",
                "description": "an active assignment whose officer is deactivated or whose scope no "
                "longer contains the household",
            },
        },
    },
    "Coverage": {
        "type": "object",
        "required": ["poor", "near_poor"],
        "properties": {"poor": _ref("CoverageCounts"), "near_poor": _ref("CoverageCounts")},
    },
    "Report": {
        "type": "object",
        "required": [
            "id",
            "definition",
            "definition_name",
            "period",
            "unit",
            "unit_name",
            "receiving_unit",
            "cut_off",
            "deadline",
            "status",
            "version",
            "submitted_at",
            "first_submitted_at",
            "decided_at",
            "on_time",
            "timeliness",
        ],
        "properties": {
            "id": {"type": "integer"},
            "definition": {"type": "string", "description": "definition code, e.g. programme_quarterly"},
            "definition_name": {"type": "string"},
            "period": {"type": "string", "description": "period key: 2020-03, 2020-Q1, 2020-H1 or 2020"},
            "unit": {"type": "string", "description": "code of the submitting unit"},
            "unit_name": {"type": "string"},
            "receiving_unit": {"type": ["string", "null"], "description": "code of the receiving unit"},
            "cut_off": {"type": "string", "format": "date"},
            "deadline": {"type": "string", "format": "date"},
            "status": {"type": "string", "enum": list(REPORT_STATUSES)},
            "version": {
                "type": "integer",
                "description": "number of the latest generation, 0 before the first",
            },
            "submitted_at": UTC_TIME,
            "first_submitted_at": UTC_TIME,
            "decided_at": UTC_TIME,
            "on_time": {
                "type": ["boolean", "null"],
                "description": "first submitted by the end of the deadline day (Vietnam time); null "
                "when never submitted",
            },
            "timeliness": TIMELINESS_SCHEMA,
        },
    },
    "ReportVersion": {
        "type": "object",
        "required": [
            "number",
            "generated_at",
            "pdf_url",
            "xlsx_url",
            "pdf_sha256",
            "submitted_at",
            "decision",
            "decision_comment",
        ],
        "properties": {
            "number": {"type": "integer"},
            "generated_at": {"type": "string", "format": "date-time"},
            "pdf_url": {"type": "string", "format": "uri", "description": "absolute; needs the session"},
            "xlsx_url": {"type": "string", "format": "uri", "description": "absolute; needs the session"},
            "pdf_sha256": {"type": "string"},
            "submitted_at": UTC_TIME,
            "decision": {"type": ["string", "null"], "enum": ["approved", "returned", None]},
            "decision_comment": {"type": ["string", "null"]},
        },
    },
    "ComplianceUnit": {
        "type": "object",
        "required": ["unit", "name", "state", "deadline", "first_submitted_at", "on_time", "report_id"],
        "properties": {
            "unit": {"type": "string", "description": "unit code"},
            "name": {"type": "string"},
            "state": TIMELINESS_SCHEMA,
            "deadline": {"type": "string", "format": "date"},
            "first_submitted_at": UTC_TIME,
            "on_time": {"type": ["boolean", "null"], "description": "null when never submitted"},
            "report_id": {"type": "integer"},
        },
    },
    "Compliance": {
        "type": "object",
        "required": [
            "definition",
            "period",
            "expected",
            "submitted",
            "on_time",
            "reporting_rate",
            "on_time_rate",
            "units",
        ],
        "properties": {
            "definition": {"type": "string"},
            "period": {"type": "string"},
            "expected": {
                "type": "integer",
                "description": "reports whose deadline has passed, or submitted anyway",
            },
            "submitted": {"type": "integer", "description": "expected reports submitted at least once"},
            "on_time": {"type": "integer", "description": "expected reports first submitted by the deadline"},
            "reporting_rate": {
                "type": ["number", "null"],
                "description": "submitted / expected, percent, 1 decimal; null when none is expected",
            },
            "on_time_rate": {
                "type": ["number", "null"],
                "description": "on time / expected, percent, 1 decimal; null when none is expected",
            },
            "units": {"type": "array", "items": _ref("ComplianceUnit"), "description": "by unit code"},
        },
    },
}

BAD_REQUEST = {"400": {"description": "A parameter is not valid; the answer's `error` says which"}}
NOT_FOUND = {"404": {"description": "Unknown unit, or outside scope"}}


def _page_of(schema: str) -> dict:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref(schema)},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    }


PAGING = [
    _param("page", "page number, from 1", {"type": "integer", "minimum": 1}),
    _param("per_page", "items per page, at most 100", {"type": "integer", "minimum": 1, "maximum": 100}),
]


def openapi_document() -> dict:
    household_detail = {
        "allOf": [
            _ref("Household"),
            {"type": "object", "properties": {"members": {"type": "array", "items": _ref("Member")}}},
        ]
    }
    report_detail = {
        "allOf": [
            _ref("Report"),
            {
                "type": "object",
                "required": ["commentary", "decision_comment", "versions"],
                "properties": {
                    "commentary": {"type": ["string", "null"], "description": "the preparer's, as submitted"},
                    "decision_comment": {
                        "type": ["string", "null"],
                        "description": "the comment of the latest return or approval, or the reason "
                        "of a reopening",
                    },
                    "versions": {"type": "array", "items": _ref("ReportVersion")},
                },
            },
        ]
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "GiamNgheo API",
            "version": "1",
            "description": "Read-only. Session cookie authentication; every answer is limited to the "
            "caller's administrative unit, and a record outside it answers 404.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "giamngheo_session"}},
        },
        "security": [{"session": []}],
        "paths": {
            "/units": {
                "get": {
                    "summary": "Units in scope",
                    "responses": _ok(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": _ref("Unit")},
                                "total": {"type": "integer"},
                            },
                        }
                    ),
                }
            },
            "/households": {
                "get": {
                    "summary": "Search households",
                    "parameters": [
                        _param("q", "search words; accents and case are ignored"),
                        _param("unit", "unit code (commune or village)"),
                        _param("status", "poor, near_poor, escaped or other"),
                        *PAGING,
                    ],
                    "responses": _ok(_page_of("Household")),
                }
            },
            "/households/{household_id}": {
                "get": {
                    "summary": "One household with its members (citizen IDs masked)",
                    "parameters": [_param("household_id", "household id", {"type": "integer"}, "path")],
                    "responses": _ok(household_detail) | {"404": {"description": "Unknown or outside scope"}},
                }
            },
            "/tasks": {
                "get": {
                    "summary": "Support tasks, by due date",
                    "description": "Tasks of the households in the caller's scope, ordered by due date, "
                    "then id.",
                    "parameters": [
                        _param("unit", "unit code: tasks of the households of this unit and beneath it"),
                        _param(
                            "status",
                            ", ".join(TASK_STATUSES),
                            {"type": "string", "enum": list(TASK_STATUSES)},
                        ),
                        _param(
                            "officer",
                            "username of the task's officer (as the items show it); an unknown "
                            "username, or an officer with no task in the caller's scope, matches no "
                            "task: an empty list, not an error",
                        ),
                        _param(
                            "overdue",
                            "true: only open tasks (planned, in progress or blocked) due before today; "
                            "false or absent: no filter",
                            {"type": "boolean"},
                        ),
                        *PAGING,
                    ],
                    "responses": _ok(_page_of("Task")) | BAD_REQUEST | NOT_FOUND,
                }
            },
            "/coverage": {
                "get": {
                    "summary": "Who follows the poor and near-poor households",
                    "description": "Households whose current status is poor or near poor, by their "
                    "active assignment (one without an end date).",
                    "parameters": [_param("unit", "unit code; default: the caller's scope unit")],
                    "responses": _ok(_ref("Coverage")) | NOT_FOUND,
                }
            },
            "/stats": {
                "get": {
                    "summary": "Headline figures of an official review",
                    "parameters": [
                        _param("unit", "unit code; default: the caller's scope unit"),
                        _param("year", "review year; default: the latest", {"type": "integer"}),
                    ],
                    "responses": _ok(_ref("Stats")),
                }
            },
            "/movements": {
                "get": {
                    "summary": "How households moved between two review years",
                    "description": "Every household poor or near-poor in either year (official results, "
                    "recorded in the unit as it was that year) falls in exactly one kind, so the kinds add "
                    "up to the poor and near-poor counts of /stats for both years: continuing_poor, "
                    "continuing_near_poor, poor_to_near_poor, near_poor_to_poor, escaped_poverty (poor → "
                    "neither), escaped_near_poverty (near-poor → neither), newly_poor (neither → poor, never "
                    "poor before), fallen_back (neither → poor, poor in an earlier year), newly_near_poor "
                    "(neither → near-poor).",
                    "parameters": [
                        _param("unit", "unit code; default: the caller's scope unit"),
                        _required(_param("from", "the earlier review year", {"type": "integer"})),
                        _required(_param("to", "the later review year", {"type": "integer"})),
                    ],
                    "responses": _ok(_ref("Movements")) | BAD_REQUEST | NOT_FOUND,
                }
            },
            "/targets": {
                "get": {
                    "summary": "A unit's indicators against its targets for a year",
                    "description": "For each indicator: its target (null where none is set), its actual "
                    "value computed from the review records, members and support tasks as of today (or the "
                    "year's end), a projection to the year's end and a status.",
                    "parameters": [
                        _param("unit", "unit code; default: the caller's scope unit"),
                        _param("year", "plan year, 2000–2100; default: this year", {"type": "integer"}),
                    ],
                    "responses": _ok(_ref("Targets")) | BAD_REQUEST | NOT_FOUND,
                }
            },
            "/reports": {
                "get": {
                    "summary": "Periodic reports in scope",
                    "description": "Reports of the units in the caller's scope, latest cut-off first, then "
                    "by definition and unit.",
                    "parameters": [
                        _param("definition", "definition code, e.g. programme_quarterly"),
                        _param(
                            "period",
                            "period key: 2020-03, 2020-Q1, 2020-H1 or 2020 (of the definition's frequency "
                            "when `definition` is given)",
                        ),
                        _param("unit", "code of the submitting unit"),
                        _param(
                            "status",
                            ", ".join(REPORT_STATUSES),
                            {"type": "string", "enum": list(REPORT_STATUSES)},
                        ),
                        *PAGING,
                    ],
                    "responses": _ok(_page_of("Report")) | BAD_REQUEST | NOT_FOUND,
                }
            },
            "/reports/{report_id}": {
                "get": {
                    "summary": "One report with its versions and the URLs of their files",
                    "parameters": [_param("report_id", "report id", {"type": "integer"}, "path")],
                    "responses": _ok(report_detail) | {"404": {"description": "Unknown or outside scope"}},
                }
            },
            "/compliance": {
                "get": {
                    "summary": "Who reported one period of one report on time, late, or not at all",
                    "description": "The reports of the definition and period in the caller's scope, one "
                    "per unit, with the reporting rate and the on-time rate.",
                    "parameters": [
                        _required(_param("definition", "definition code, e.g. programme_quarterly")),
                        _required(_param("period", "period key of the definition's frequency, e.g. 2020-Q1")),
                    ],
                    "responses": _ok(_ref("Compliance")) | BAD_REQUEST,
                }
            },
            "/openapi.json": {"get": {"summary": "This document", "responses": _ok({"type": "object"})}},
        },
    }

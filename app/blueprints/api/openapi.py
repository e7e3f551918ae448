"""The OpenAPI 3.1 description of /api/v1 (tests check it lists every route)."""

from app.models.tasks import TaskStatus

TASK_STATUSES = tuple(s.value for s in TaskStatus)


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
            "/openapi.json": {"get": {"summary": "This document", "responses": _ok({"type": "object"})}},
        },
    }

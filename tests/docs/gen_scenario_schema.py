#!/usr/bin/env python3
"""gen_scenario_schema.py - builds docs/schema/scenario.schema.json (JSON Schema 2020-12)
from the scenario loader's own tables (`sc_tables --json`), so the schema cannot drift from
what the loader accepts. The few rules the loader implements in code rather than in its
tables (list shapes, the name pattern, per-fault parameters, guarantee variants) are
written here, next to the code they mirror (harness/scenario.c).

  gen_scenario_schema.py SC_TABLES            print the schema
  gen_scenario_schema.py SC_TABLES --check    fail when docs/schema/scenario.schema.json differs
  gen_scenario_schema.py SC_TABLES --update   rewrite docs/schema/scenario.schema.json
"""
import json
import os
import subprocess
import sys

SRC = os.environ.get("BACKCHECK_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(SRC, "docs", "schema", "scenario.schema.json")
SEED_MAX = 2 ** 53 - 1  # SC_SEED_LIMIT: seeds must survive a JSON round trip


def field_schema(f):
    t = f["type"]
    s = {}
    if t in ("string", "nullstr"):
        s["type"] = "string" if t == "string" else ["string", "null"]
        s["maxLength"] = f["max_length"]
    elif t in ("enum", "dist"):
        s["enum"] = f["allowed"].split("|")
    elif t in ("int", "long", "int64"):
        s["type"] = "integer"
    elif t == "seed":
        s.update({"type": "integer", "minimum": 0, "maximum": SEED_MAX})
    elif t == "double":
        s["type"] = "number"
    elif t == "bool":
        s["type"] = "boolean"
    if t in ("int", "long", "int64", "double"):
        if f["positive"]:
            s["exclusiveMinimum"] = 0
        if f["nonneg"]:
            s["minimum"] = 0
        if "min" in f:
            s["minimum"] = f["min"]
            s["maximum"] = f["max"]
    if f["default"] is not None and t != "special":
        s["default"] = json.loads(f["default"])
    s["description"] = f["help"]
    return s


def object_schema(sec, by_path, specials=None):
    props = {}
    required = []
    for f in sec["fields"]:
        if specials and f["name"] in specials:
            props[f["name"]] = specials[f["name"]]
        elif f["type"] == "object":
            props[f["name"]] = object_schema(by_path[f["section"]], by_path)
            props[f["name"]]["description"] = f["help"]
        elif f["type"] == "special":
            props[f["name"]] = specials[f["name"]]
        else:
            props[f["name"]] = field_schema(f)
        if f["default"] is None and not f["optional"]:
            required.append(f["name"])
    o = {"type": "object", "description": sec["help"], "properties": props,
         "additionalProperties": False}
    if required:
        o["required"] = required
    return o


def names(sec):
    return [f["name"] for f in sec["fields"]]


def exactly(*members):
    """An object whose members are exactly these (harness/scenario.c parse_backups and
    parse_restores accept fixed combinations of members)."""
    return {"required": list(members), "propertyNames": {"enum": list(members)}}


def build(tables):
    by_path = {s["path"]: s for s in tables["sections"]}
    top = by_path[""]

    gsi = object_schema(by_path["table.gsi[]"], by_path)
    table_specials = {"gsi": {"type": "array", "items": gsi, "maxItems": 20,
                              "default": [], "description": "global secondary indexes"}}
    table = object_schema(by_path["table"], by_path, table_specials)
    # parse: "table.range_key: not supported ...; use null"
    table["properties"]["range_key"]["type"] = "null"
    table["properties"]["range_key"].pop("maxLength", None)

    workload = object_schema(by_path["workloads[]"], by_path)
    workload["properties"]["keys"] = object_schema(by_path["workloads[].keys"], by_path)

    backup = object_schema(by_path["backups[]"], by_path)
    backup["oneOf"] = [exactly("at_s"), exactly("every_s", "count"),
                       exactly("at_s", "every_s", "count"), exactly("after_ops"),
                       exactly("at_s", "burst")]
    restore = object_schema(by_path["restores[]"], by_path)
    restore["oneOf"] = [exactly("from"), exactly("pitr_at_s")]
    restore["properties"]["from"]["pattern"] = "^(each-backup|b[0-9]+)$"

    fault = object_schema(by_path["faults[]"], by_path)
    kinds = tables["fault_kinds"]
    fault["properties"]["kind"] = {"enum": [k["name"] for k in kinds],
                                   "description": fault["properties"]["kind"]["description"]}
    rules = []
    for k in kinds:
        allowed = ["kind", "at_s", "for_s"] + [p for p in k["params"].split("|") if p]
        then = {"propertyNames": {"enum": allowed}}
        if k["side"] == "control":
            then["required"] = ["at_s"]
        rules.append({"if": {"properties": {"kind": {"const": k["name"]}}}, "then": then})
    fault["allOf"] = rules

    guarantee_obj = object_schema(by_path["guarantee"], by_path)
    budget = object_schema(by_path["budget"], by_path)
    top_specials = {
        "workloads": {"type": "array", "items": workload, "minItems": 1, "maxItems": 16,
                      "description": "list of workloads (at least one)"},
        "backups": {"type": "array", "items": backup, "default": [],
                    "description": "when to request backups (at most 64 after expansion)"},
        "restores": {"type": "array", "items": restore,
                     "default": [{"from": "each-backup"}],
                     "description": "what to restore and scan"},
        "faults": {"type": "array", "items": fault, "maxItems": 32, "default": [],
                   "description": "faults to inject"},
        "guarantee": {"default": "aws-documented",
                      "description": by_path["guarantee"]["help"],
                      "oneOf": [{"enum": ["aws-documented", "strict"]}, guarantee_obj]},
        "budget": budget,
    }
    top_specials["table"] = dict(table, description="source table")
    schema = object_schema(top, by_path, top_specials)
    schema["properties"]["name"]["pattern"] = "^[A-Za-z0-9._-]+$"
    out = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://backcheck.dev/schema/scenario.schema.json",
        "title": "backcheck scenario",
        "$comment": "Generated from harness/scenario.c's tables by "
                    "tests/docs/gen_scenario_schema.py; do not edit by hand. The loader also "
                    "checks what a schema cannot: backups and faults start before duration_s, "
                    "pitr_at_s <= duration_s, txn_min <= txn_max, workload types and fault "
                    "parameters against the workload registry and the emulator.",
    }
    out.update(schema)
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tables = json.loads(subprocess.check_output([sys.argv[1], "--json"]))
    text = json.dumps(build(tables), indent=2) + "\n"
    mode = sys.argv[2] if len(sys.argv) > 2 else ""
    if mode == "--update":
        with open(OUT, "w") as f:
            f.write(text)
        print("wrote", OUT)
    elif mode == "--check":
        cur = open(OUT).read() if os.path.exists(OUT) else ""
        if cur != text:
            print("FAIL: docs/schema/scenario.schema.json is not what the loader's tables give.")
            print("Regenerate: python3 tests/docs/gen_scenario_schema.py SC_TABLES --update")
            import difflib
            sys.stdout.writelines(difflib.unified_diff(
                cur.splitlines(True), text.splitlines(True), "committed", "generated"))
            sys.exit(1)
        print("PASS: scenario.schema.json matches the loader's tables")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

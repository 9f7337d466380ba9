/*
 * sc_tables.c - prints the scenario loader's own field tables, so the documentation can
 * be generated from them and tests can fail when the two drift apart:
 *   sc_tables --reference   the markdown field reference (sc_print_reference)
 *   sc_tables --json        every section and field as JSON (name, type, default,
 *                           allowed values, bounds, flags, help) and the fault kinds
 *   sc_tables --load FILE   loads FILE with the real loader (no workload registry or
 *                           emulator hooks): prints "ok" (exit 0) or the error (exit 1)
 * Used by tests/docs/check_fields.sh and tests/docs/gen_scenario_schema.py.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/scenario.h"

static const char *type_name(sc_type t)
{
    static const char *const names[] = {"string", "nullstr", "enum",   "dist", "int",    "long",
                                        "int64",  "seed",    "double", "bool", "object", "special"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static cJSON *field_json(const sc_field *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", f->name);
    cJSON_AddStringToObject(o, "type", type_name(f->type));
    if (f->def)
        cJSON_AddStringToObject(o, "default", f->def);
    else
        cJSON_AddNullToObject(o, "default");
    if (f->allowed) cJSON_AddStringToObject(o, "allowed", f->allowed);
    cJSON_AddBoolToObject(o, "positive", (f->flags & SC_F_POSITIVE) != 0);
    cJSON_AddBoolToObject(o, "nonneg", (f->flags & SC_F_NONNEG) != 0);
    cJSON_AddBoolToObject(o, "optional", (f->flags & SC_F_OPTIONAL) != 0);
    if (f->flags & SC_F_RANGE) {
        cJSON_AddNumberToObject(o, "min", f->min);
        cJSON_AddNumberToObject(o, "max", f->max);
    }
    if (f->type == SC_T_STRING || f->type == SC_T_NULLSTR || f->type == SC_T_ENUM)
        cJSON_AddNumberToObject(o, "max_length", f->size ? (double)(f->size - 1) : 0);
    cJSON_AddStringToObject(o, "help", f->help ? f->help : "");
    if (f->sub) cJSON_AddStringToObject(o, "section", f->sub->path);
    return o;
}

static int print_json(void)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *secs = cJSON_AddArrayToObject(root, "sections");
    for (const sc_section *const *s = sc_sections; *s; s++) {
        cJSON *so = cJSON_CreateObject();
        cJSON_AddStringToObject(so, "path", (*s)->path);
        cJSON_AddStringToObject(so, "help", (*s)->help);
        cJSON *fl = cJSON_AddArrayToObject(so, "fields");
        for (int i = 0; i < (*s)->nfields; i++)
            cJSON_AddItemToArray(fl, field_json(&(*s)->fields[i]));
        cJSON_AddItemToArray(secs, so);
    }
    cJSON *faults = cJSON_AddArrayToObject(root, "fault_kinds");
    for (const sc_fault_kind *k = sc_fault_kinds; k->name; k++) {
        cJSON *fo = cJSON_CreateObject();
        cJSON_AddStringToObject(fo, "name", k->name);
        cJSON_AddStringToObject(fo, "side", k->side == SC_FAULT_CONTROL ? "control" : "target");
        cJSON_AddStringToObject(fo, "params", k->params);
        cJSON_AddStringToObject(fo, "help", k->help);
        cJSON_AddItemToArray(faults, fo);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s) return 1;
    puts(s);
    free(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--reference") == 0) {
        sc_print_reference(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--json") == 0) return print_json();
    if (argc == 3 && strcmp(argv[1], "--load") == 0) {
        scenario *sc = NULL;
        char err[512];
        if (sc_load_file(argv[2], NULL, &sc, err, sizeof err)) {
            printf("%s\n", err);
            return 1;
        }
        sc_free(sc);
        puts("ok");
        return 0;
    }
    fprintf(stderr, "usage: sc_tables --reference | --json | --load FILE\n");
    return 2;
}

/* rep_render_tool.c - renders one report of a run directory, for the browser test:
 * `rep_render_tool RUN_DIR FORMAT OUT` (FORMAT html|md|junit|json). */
#include <stdio.h>

#include "reports/report.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: rep_render_tool RUN_DIR FORMAT OUT\n");
        return 2;
    }
    FILE *f = fopen(argv[3], "w");
    if (!f) {
        perror(argv[3]);
        return 2;
    }
    char err[512] = "";
    int rc = rep_render(argv[1], argv[2], f, err, sizeof err);
    if (fclose(f) != 0) rc = -1;
    if (rc) {
        fprintf(stderr, "rep_render_tool: %s\n", err);
        return 1;
    }
    return 0;
}

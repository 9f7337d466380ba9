/* compare.c - `backcheck compare`. */
#include "reports/report.h"
int rep_compare_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}

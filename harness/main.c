/*
 * main.c - the `backcheck` program: process-wide set-up (libcurl), then the command line
 * (cli.c). Everything else lives in the modules the commands call.
 */
#include <signal.h>

#include "ddb/ddb.h"
#include "harness/cli.h"

int main(int argc, char **argv)
{
    /* A peer closing a connection must be an error on that request, not a dead
     * process. */
    signal(SIGPIPE, SIG_IGN);
    if (ddb_global_init() != 0) return 2;
    int rc = cli_main(argc, argv);
    ddb_global_cleanup();
    return rc;
}

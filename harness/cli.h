/*
 * cli.h - the `backcheck` command line: one table of commands, each with its table of
 * options, from which parsing, errors and every --help text come.
 */
#ifndef BC_CLI_H
#define BC_CLI_H

/* Exit code for usage errors (DESIGN.md "Exit codes": the run could not be done). */
#define CLI_EXIT_USAGE 2

/* Runs the command line; returns the process exit code. */
int cli_main(int argc, char **argv);
#endif

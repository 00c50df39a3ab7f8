// SPDX-License-Identifier: GPL-2.0-only
/* x2sim fastpaths: the shipped fastpath variants, one line each. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fastpath/fastpath.h"

static void fastpaths_usage(FILE *out)
{
	fprintf(out,
		"usage: x2sim fastpaths\n\n"
		"Lists the fastpath variants shipped with x2sim, for\n"
		"'x2sim verify --fastpath NAME'.  Your own fastpath: build it as\n"
		"a plugin and run 'x2sim verify --plugin ./x.so' (docs/plugins.md).\n");
}

const struct option fastpaths_options[] = {
	CLI_OPT_HELP,
	CLI_OPT_END,
};

int cmd_fastpaths(int argc, char **argv)
{
	size_t width = 0;
	int opt;

	while ((opt = cli_getopt("fastpaths", argc, argv, NULL,
				 fastpaths_options)) != -1) {
		if (opt != 'h')
			return EXIT_USAGE;
		fastpaths_usage(stdout);
		return 0;
	}
	if (cli_no_operands("fastpaths", argc, argv))
		return EXIT_USAGE;

	for (unsigned int i = 0; i < x2s_fastpath_nr_variants; i++) {
		size_t len = strlen(x2s_fastpath_variants[i].name);

		if (len > width)
			width = len;
	}
	for (unsigned int i = 0; i < x2s_fastpath_nr_variants; i++)
		printf("%-*s  %s\n", (int)width, x2s_fastpath_variants[i].name,
		       x2s_fastpath_variants[i].description);
	return 0;
}

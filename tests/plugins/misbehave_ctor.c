// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test plugin: an ELF constructor that creates the file named by
 * X2SIM_TEST_MARKER, so a test can tell whether the object was ever
 * loaded (replay must not load a plugin because a case file names it).
 * Otherwise an honest plugin that declines everything.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <x2sim/kvm.h>

__attribute__((constructor)) static void misbehave_ctor(void)
{
	const char *marker = getenv("X2SIM_TEST_MARKER");
	int fd;

	if (!marker || !marker[0])
		return;
	fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
}

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	return EXIT_FASTPATH_NONE;
}

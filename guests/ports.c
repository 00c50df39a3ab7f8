// SPDX-License-Identifier: GPL-2.0-only
/*
 * Port I/O the way test kernels use it: a line on the 16550 console,
 * fw_cfg's signature and CPU count, the PIC masked, and the run ended
 * through the exit port with a status.  With bad_port set it reads a
 * port nothing is behind, which must end the run with a message.
 */
#include "guest.h"
#include "pio.h"

volatile u64 exit_code = 3, bad_port;
volatile u64 signature, nb_cpus, lsr;

void guest_main(u64 cpu, u64 nr_cpus)
{
	const char *msg = "hello from x2sim\n";

	(void)nr_cpus;
	if (cpu)
		return;
	outb(0x21, 0xff); /* the PIC masked, as test kernels do */
	outb(0xa1, 0xff);
	lsr = inb(UART + UART_LSR);
	for (const char *p = msg; *p; p++)
		uart_putc(*p);
	outw(0x510, 0x0000);
	for (int i = 0; i < 4; i++)
		signature |= (u64)inb(0x511) << (8 * i);
	outw(0x510, 0x0005);
	nb_cpus = inb(0x511);
	nb_cpus |= (u64)inb(0x511) << 8;
	if (bad_port)
		(void)inb(0x1234);
	outb(0xf4, (u8)exit_code);
	/* Not reached: the exit port ends the run. */
	for (;;)
		cpu_relax();
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Port I/O for the guests, 32-bit (the multiboot test kernel) and 64-bit
 * alike: IN and OUT of a byte or a word, and a byte on the 16550 console
 * at 0x3f8 once its transmitter holding register is empty.
 */
#ifndef X2SIM_GUESTS_PIO_H
#define X2SIM_GUESTS_PIO_H

#include <stdint.h>

#define UART 0x3f8
#define UART_LSR 5
#define UART_SCR 7
#define LSR_THRE 0x20

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %b0, %w1" ::"a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %w0, %w1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void uart_putc(char c)
{
	while (!(inb(UART + UART_LSR) & LSR_THRE))
		;
	outb(UART, (uint8_t)c);
}

#endif /* X2SIM_GUESTS_PIO_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exit-rate benchmark: vCPU 0 writes the x2APIC ICR `iterations`
 * times with a fixed IPI to an absent APIC ID (no delivery work), in a
 * register-only loop, then finishes.
 */
	.data
	.globl	iterations, done
	.p2align 3
iterations:	.quad	1000000
done:		.quad	0

	.text
	.globl	guest_main
guest_main:
	test	%rdi, %rdi
	jnz	2f
	mov	iterations(%rip), %rsi
	mov	$0x830, %ecx
	mov	$0x40, %eax
	mov	$0xfff0, %edx		/* an APIC ID no vCPU has */
1:	wrmsr
	dec	%rsi
	jnz	1b
	movq	$1, done(%rip)
2:	ret

	.section .note.GNU-stack, "", @progbits
